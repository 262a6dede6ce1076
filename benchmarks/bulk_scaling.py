"""Bulk forecasting throughput: series per second by workers, number of series and length.

Simulated plants from the calibrated simulator (``models.simulator.plant.simulate_portfolio``),
forecast 12 months ahead through the bulk engine (``forecast.bulk.run_bulk``). Prints one
table: model, series, months per series, backend and workers, wall seconds, CPU seconds
(worker processes included), series per second and peak resident memory (all processes).

Run: ``.venv/bin/python benchmarks/bulk_scaling.py`` (default grid, about an hour with
``auto`` on 2 cores, 5 minutes with ``theta_ses``; ``--quick`` for a small grid,
``--model`` to time another model).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from resources import ResourceMonitor  # noqa: E402

from forecast.bulk import BulkConfig, run_bulk  # noqa: E402
from models.simulator.plant import simulate_portfolio  # noqa: E402


def portfolio(n_series: int, months: int, seed: int):
    """Bulk-format frame of ``n_series`` simulated plants of ``months`` months (oz)."""
    import pandas as pd

    df = simulate_portfolio(n_series, months, seed)
    return pd.DataFrame({"series_id": df["series_id"].astype(str),
                         "month": pd.PeriodIndex(df["timestamp"], freq="M"),
                         "value": df["value"].to_numpy(dtype=float)})


def measure(n_series: int, months: int, backend: str, workers: int, args: argparse.Namespace
            ) -> tuple:
    """One timed run; returns a table row."""
    frame = portfolio(n_series, months, args.seed)
    config = BulkConfig(horizon=12, model=args.model, n_paths=args.n_paths, seed=args.seed)
    with ResourceMonitor() as mon:
        res = run_bulk(frame, [], config, backend=backend, workers=workers)
    u = mon.usage
    row = (args.model, n_series, months, f"{backend} x{workers}", f"{u.wall_s:.1f}",
           f"{u.cpu_s:.1f}", f"{n_series / u.wall_s:.1f}", f"{u.peak_rss_mib:.0f}",
           len(res.failures))
    print("  " + " ".join(map(str, row)), file=sys.stderr, flush=True)
    return row


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="auto")
    parser.add_argument("--n-paths", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sizes", default="1000,5000,20000",
                        help="numbers of series (120 months each) on 2 local workers")
    parser.add_argument("--lengths", default="60,120,240",
                        help="months per series, for the length grid (1000 series)")
    parser.add_argument("--quick", action="store_true", help="small grid: 200 and 1000 series")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    sizes = [200, 1000] if args.quick else [int(s) for s in args.sizes.split(",")]
    lengths = [60, 120] if args.quick else [int(s) for s in args.lengths.split(",")]
    n0 = sizes[0]
    rows = [measure(n0, 120, "serial", 1, args), measure(n0, 120, "processes", 2, args)]
    rows += [measure(n, 120, "processes", 2, args) for n in sizes[1:]]
    rows += [measure(n0, m, "processes", 2, args) for m in lengths if m != 120]
    head = ("model", "series", "months", "backend", "wall s", "CPU s", "series/s",
            "peak MiB", "fallbacks")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for r in rows:
        print("| " + " | ".join(map(str, r)) + " |")


if __name__ == "__main__":
    main()
