"""Seasonal naive forecasts with bootstrapped seasonal-difference residuals.

Hyndman & Athanasopoulos, *Forecasting: Principles and Practice* (3rd ed.), 5.2 and 5.5:
each month repeats the same month a year earlier; sample paths are built recursively,
y*[t] = y*[t - m] + e*, with e* drawn from the in-sample seasonal differences, so the
uncertainty of a second forecast year accumulates instead of repeating the first.
Residuals are drawn in consecutive blocks (moving block bootstrap, Kunsch 1989): a plant's
good and bad months come in runs (supply shocks, floods), and drawing months independently
would understate the spread of a quarter's or a year's total.

The bootstrap is smoothed (Silverman & Young 1987): each drawn residual gets a normal
jitter of bandwidth ``h = 1.06 n^(-1/5)`` residual standard deviations and is shrunk back
by ``sqrt(1 + h^2)``, so the residuals' mean and variance are kept while a year's total is
no longer one of the few values the blocks can add up to (with two years of history a
year ahead had a dozen possible totals, which a histogram shows as spikes).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target


class SeasonalNaive(ForecastModel):
    """y[T+h] = y[T+h-m]; paths by recursive bootstrap of residuals y[t] - y[t-m]."""

    name = "seasonal_naive"
    # A year of seasonal differences to bootstrap from; fewer gives degenerate intervals
    # (13 months leave a single residual, i.e. a zero-width interval).
    min_history = 24
    complexity = 0
    fits_quarterly = True
    # Repeating last year's zeros is a fair forecast for a plant that stood still all year.
    needs_production = False

    def __init__(self, *, season_length: int = 12, block_length: int = 12):
        self.season_length = season_length
        self.block_length = block_length

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        m = self.season_length
        if y.size <= m:
            raise ValueError(f"seasonal naive needs more than {m} months, got {y.size}")
        self.last_season_ = y[-m:].copy()
        residuals = y[m:] - y[:-m]
        self.residuals_ = residuals[np.isfinite(residuals)]

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        m = self.season_length
        draws = _smoothed(_block_bootstrap(self.residuals_, n_paths, horizon,
                                           self.block_length, rng), self.residuals_, rng)
        out = np.empty((n_paths, horizon + m))
        out[:, :m] = self.last_season_[None, :]
        for h in range(horizon):
            # A closed plant cannot produce negative ounces: the floor applies to each
            # month, before that month becomes the base of the next year's simulation.
            out[:, m + h] = np.maximum(out[:, h] + draws[:, h], 0.0)
        return out[:, m:]


def _smoothed(draws: np.ndarray, residuals: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """Smoothed bootstrap of ``draws`` (oz): jittered by a normal kernel of Silverman's
    bandwidth and shrunk so their mean and variance stay those of ``residuals``."""
    n = residuals.size
    sd = float(residuals.std()) if n > 1 else 0.0
    if sd == 0.0:
        return draws  # nothing to smooth: a repeated season stays exact
    h = 1.06 * n ** -0.2
    mean = float(residuals.mean())
    jitter = rng.standard_normal(draws.shape) * h * sd
    return mean + (draws - mean + jitter) / np.sqrt(1.0 + h * h)


def _block_bootstrap(residuals: np.ndarray, n_paths: int, horizon: int, block: int,
                     rng: np.random.Generator) -> np.ndarray:
    """Moving-block bootstrap draws, shape (n_paths, horizon), from a residual series (oz).

    Each path concatenates blocks of ``block`` consecutive residuals starting at random
    positions (circular), so serial correlation within a block is kept.
    """
    n = residuals.size
    block = max(1, min(block, n))
    n_blocks = -(-horizon // block)
    starts = rng.integers(0, n, size=(n_paths, n_blocks))
    offsets = np.arange(block)
    idx = (starts[:, :, None] + offsets[None, None, :]) % n
    return residuals[idx.reshape(n_paths, n_blocks * block)[:, :horizon]]
