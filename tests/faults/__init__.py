"""Fault tests: helpers shared by several of them."""

from __future__ import annotations

from pathlib import Path


def write_series_csv(path: Path, n_series: int, months: int, seed: int) -> Path:
    """Simulated plants (``simulate_portfolio``) in the bulk input format, gold only: CSV
    ``series_id, timestamp, value``."""
    from models.simulator.plant import simulate_portfolio

    frame = simulate_portfolio(n_series, months, seed=seed)
    frame[["series_id", "timestamp", "value"]].to_csv(path, index=False)
    return path
