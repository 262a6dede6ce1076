"""The 2017 table on the real Dynacor data: each model's 2017 total by as-of month.

For every as-of month Dec 2016 .. Nov 2017, each zoo model's P50 and 80% interval for the
2017 total, the equal and the skill mixture (formed from the members' paths), the guidance
in force at that date and the actual (79,897 oz), from one rolling-origin backtest on the
embedded dataset.

    .venv/bin/python benchmarks/real_2017.py [--n-paths 2000] [--jobs 2]
"""

from __future__ import annotations

import argparse
import logging
import time

import pandas as pd

from models.data.datasets import dynacor
from training.backtest import BacktestConfig, run_backtest
from training.candidates import available_models
from training.combination import EQUAL, SKILL, add_combinations
from training.selection import choose_procedure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-paths", type=int, default=2000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ds = dynacor()
    t0 = time.perf_counter()
    names = available_models()
    res = run_backtest(ds.monthly, names, [2017], periods=ds.periods, guidance=ds.guidance,
                       config=BacktestConfig(n_paths=args.n_paths, seed=args.seed,
                                             n_jobs=args.jobs))
    res, _ = add_combinations(res, ds.monthly, 3)
    po = res.per_origin
    actual = float(po["annual_actual_oz"].iloc[0])

    def cell(r: pd.Series) -> str:
        if r["status"] != "ok":
            return "declined"
        return f"{r['annual_p50'] / 1000:.1f} [{r['annual_p10'] / 1000:.1f}-" \
               f"{r['annual_p90'] / 1000:.1f}]"

    po = po.assign(cell=po.apply(cell, axis=1))
    table = po.pivot_table(index=["as_of", "months_known"], columns="model", values="cell",
                           aggfunc="first")
    order = [m for m in names if m in table.columns] + [EQUAL, SKILL, "guidance"]
    table = table[order]
    print(f"2017 total, thousand oz: P50 [80% interval]; guidance = range in force; "
          f"actual {actual:,.0f} oz; {args.n_paths} paths, seed {args.seed}")
    print(table.to_string())
    print()
    summary = (po.loc[po["status"] == "ok"].groupby("model")
               .agg(origins=("as_of", "size"), mean_ape_pct=("annual_ape", "mean"),
                    mean_crps_oz=("annual_crps", "mean"),
                    cover80_pct=("annual_cover80", "mean")))
    summary["cover80_pct"] = (summary["cover80_pct"].astype(float) * 100).round(0)
    print(summary.round(1).loc[[m for m in order if m in summary.index]].to_string())
    sel = choose_procedure(res, EQUAL)
    print(f"\nserved on this one year: {sel.best} ({sel.rule})")
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
