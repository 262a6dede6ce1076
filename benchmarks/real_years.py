"""What to expect on real years: leave-one-year-out over 2011-2017 of the embedded data.

Every year 2011-2017 of Dynacor's published figures gives origins wherever its output to
the origin was known then (quarter ends from quarterly, half-year and year-to-date totals;
every month of 2017 and the monthly months of 2016). The whole selection (skill weights and
the serving rule) is run once per year with that year held out, and its pick is scored on
the held-out year. Printed: the origins, the procedure's annual APE / CRPS / 80% coverage
by months known next to every single model, the equal mixture and guidance on the same
origins, and the two acceptance figures of the issue (against share_runrate at the
quarter-end origins, against guidance at every months-known level where guidance exists).

    .venv/bin/python benchmarks/real_years.py [--n-paths 1000] [--jobs 2]
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
from training.loyo import PROCEDURE, expectation_table, leave_one_year_out
from training.scoring import GUIDANCE, QUARTER_ENDS
from training.selection import choose_procedure


def by_months_known(po: pd.DataFrame, column: str, models: list[str]) -> pd.DataFrame:
    """months_known x model means of ``column`` over ok rows, with the origin count."""
    ok = po.loc[(po["status"] == "ok") & po["model"].isin(models)]
    table = ok.pivot_table(index="months_known", columns="model", values=column,
                           aggfunc="mean")
    table = table[[m for m in models if m in table.columns]]
    n = ok.loc[ok["model"] == PROCEDURE].groupby("months_known").size().rename("origins")
    return pd.concat([n, table], axis=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-paths", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 250)
    ds = dynacor()
    t0 = time.perf_counter()
    names = available_models()
    res = run_backtest(ds.monthly, names, range(2011, 2018), periods=ds.periods,
                       guidance=ds.guidance,
                       config=BacktestConfig(n_paths=args.n_paths, seed=args.seed,
                                             n_jobs=args.jobs))
    res, weights = add_combinations(res, ds.monthly, 3)
    held, folds = leave_one_year_out(res, ds.monthly, 3)
    po = pd.concat([res.per_origin, held.drop(columns="pick")], ignore_index=True)
    origins = res.per_origin.drop_duplicates("as_of")
    print(f"origins: {len(origins)} in years 2011-2017; by evidence: "
          + ", ".join(f"{k} {v}" for k, v in origins["evidence"].value_counts().items()))
    print(origins.groupby("year")["months_known"].apply(lambda s: " ".join(map(str, s)))
          .to_string())
    print(f"\nfull-data choice: {choose_procedure(res, EQUAL).best}; folds' picks: "
          + ", ".join(f"{y} {p}" for y, p in zip(folds["year"], folds["pick"], strict=True)))
    shown = [PROCEDURE, EQUAL, SKILL, *[m for m in names if m in set(po["model"])], GUIDANCE]
    for column, label, scale in (("annual_ape", "annual APE %", 1.0),
                                 ("annual_crps", "annual CRPS, oz", 1.0),
                                 ("annual_cover80", "80% interval coverage %", 100.0)):
        frame = po.assign(**{column: po[column].astype(float) * scale})
        print(f"\n{label} by months known (each model over its origins among the "
              f"procedure's):")
        print(by_months_known(frame, column, shown).round(1 if scale == 1.0 else 0)
              .to_string())
    for levels, label in ((QUARTER_ENDS, "quarter-end origins (0, 3, 6, 9 months known)"),
                          (None, "all origins")):
        print(f"\nleave-one-year-out expectation, {label}; each model on the origins it "
              f"shares with the procedure:")
        print(expectation_table(res, held, levels).round(2).to_string(index=False))
    q = expectation_table(res, held, QUARTER_ENDS).set_index("model")
    srr = q.loc["share_runrate"]
    print(f"\nacceptance 1: procedure / share_runrate mean annual APE at quarter-end origins "
          f"they share ({int(srr['n_origins'])}): {srr['procedure_ape']:.2f} / "
          f"{srr['ape']:.2f} = {srr['procedure_ape'] / srr['ape']:.3f} (target <= 0.8)")
    g = po.loc[po["status"] == "ok"]
    guide = g.loc[g["model"] == GUIDANCE].set_index("as_of")
    proc = g.loc[g["model"] == PROCEDURE].set_index("as_of")
    common = guide.index.intersection(proc.index)
    both = pd.DataFrame({"months_known": guide.loc[common, "months_known"],
                         "procedure": proc.loc[common, "annual_ape"],
                         "guidance": guide.loc[common, "annual_ape"]})
    levels = both.groupby("months_known").agg(origins=("procedure", "size"),
                                              procedure=("procedure", "mean"),
                                              guidance=("guidance", "mean"))
    levels["below"] = levels["procedure"] < levels["guidance"]
    quarter = levels.loc[levels.index.isin(QUARTER_ENDS)]
    print(f"acceptance 2: procedure below guidance at every quarter-end level with guidance "
          f"({', '.join(map(str, quarter.index))} months known): {bool(quarter['below'].all())}"
          f"; mean annual APE at every level with guidance:")
    print(levels.round(2).to_string())
    print("\nskill weights on all years: "
          + ", ".join(f"{m} {w:.3f}" for m, w in weights.items()))
    print(f"wall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
