"""The sales forecast (USD) on the embedded Dynacor data, 2011-2017, at the backtest's
quarter-end origins: APE of the median against the run-rate (ytd x 12 / months), and how
often the 80% interval holds the year's published sales.

The served procedure (``ensemble``) is backtested on the embedded monthly figures and
period totals as ``orecast train`` does; at each origin its ounce paths become sales paths
with the gold price and sales ratio known then (``training.sales_backtest``).

    .venv/bin/python benchmarks/sales_backtest.py [--model ensemble] [--n-paths 2000]
"""

from __future__ import annotations

import argparse

import pandas as pd

from models.data.datasets import dynacor, gold_price
from training.backtest import BacktestConfig, run_backtest
from training.sales_backtest import sales_backtest, sales_scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ensemble")
    parser.add_argument("--n-paths", type=int, default=2000)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    ds = dynacor()
    result = run_backtest(ds.monthly, [args.model], range(2011, 2018), periods=ds.periods,
                          guidance=ds.guidance,
                          config=BacktestConfig(n_paths=args.n_paths, n_jobs=args.jobs))
    frame = sales_backtest(result.forecasts, ds.monthly, ds.periods, gold_price(),
                           ds.guidance, model=args.model)
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        shown = frame[["as_of", "months_known", "actual_usd", "p10", "p50", "p90", "ytd_source",
                       "ape", "cover80", "runrate_ape"]].copy()
        for c in ("actual_usd", "p10", "p50", "p90"):
            shown[c] = (shown[c] / 1e6).round(1)
        print(shown.round(2).to_string(index=False))
    s = sales_scores(frame)
    print(f"\nquarter-end origins with a month known: {int(s['sales_n_origins'])}")
    print(f"mean APE of the sales P50: {s['sales_ape']:.2f}%; of the run-rate: "
          f"{s['sales_runrate_ape']:.2f}% (ratio {s['sales_ape_ratio']:.2f})")
    print(f"80% interval holds the actual: {s['sales_cover80']:.1f}%")
    every = frame
    print(f"all origins ({len(every)}): mean APE {every['ape'].mean():.2f}%, inside 80% "
          f"{100 * every['cover80'].mean():.1f}%")


if __name__ == "__main__":
    main()
