"""Plants that report quarterly: the year's total from period totals, and what it costs.

Part 1, the embedded Dynacor data as a quarterly reporter: the monthly file dropped, only
its published gold totals kept (quarters, halves, year-to-date, years). 2015, 2016 and
2017 are forecast at Q1, H1 and 9M by the default procedure and scored against the actual
totals, next to the same origins with the monthly figures and next to the guidance in
force. Part 2, simulated plants: ``--plant-years`` plants (seeds 0..N-1, 300 tpd, 2010-2018)
published as quarterly reporters (``models.simulator.reporting.as_quarterly_reporter``: quarters,
year-to-date totals at May and November, restatements a year later) and, the same plants,
with every month's figure; 2018 forecast from December 2017, March, June or September
(seed mod 4). Ore tonnes are left out of both, so the difference is the reporting alone.

    .venv/bin/python benchmarks/quarterly_reporters.py [--plant-years 500] [--jobs 2]
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from models.core.year import forecast_year, guidance_in_force
from models.data.datasets import dynacor
from models.data.periods import PRODUCED, months_frame
from models.simulator.plant import simulate_plant
from models.simulator.reporting import as_quarterly_reporter
from models.zoo import make_model

QUARTER_END_MONTHS = (0, 3, 6, 9)


def score(yf, actual: float) -> dict:
    """APE of the median (%) and whether the 80% interval holds the actual."""
    a = yf.annual_paths
    lo, hi = np.quantile(a, [0.1, 0.9])
    return {"ape": 100 * abs(np.median(a) - actual) / actual, "cover80": lo <= actual <= hi}


def dynacor_table(n_paths: int) -> pd.DataFrame:
    ds = dynacor()
    totals = ds.periods.loc[ds.periods["metric"] == PRODUCED]
    quarterly = months_frame(totals)
    rows = []
    for year in (2015, 2016, 2017):
        actual = {2015: 67_603.0, 2016: 73_477.0, 2017: 79_897.0}[year]
        for m, label in ((3, "Q1"), (6, "H1"), (9, "9M")):
            as_of = pd.Period(f"{year}-{m:02d}", "M")
            q = forecast_year(make_model("ensemble"), quarterly, as_of, periods=totals,
                              n_paths=n_paths, seed=0)
            full = forecast_year(make_model("ensemble"), ds.monthly, as_of,
                                 periods=ds.periods, n_paths=n_paths, seed=0)
            g = guidance_in_force(ds.guidance, year, as_of)
            row = {"year": year, "at": label, "actual": actual,
                   **{f"quarterly_{k}": v for k, v in score(q, actual).items()},
                   "quarterly_ytd": q.ytd_source,
                   **{f"monthly_{k}": v for k, v in score(full, actual).items()},
                   "monthly_ytd": full.ytd_source,
                   "guidance_ape": (100 * abs((g[0] + g[1]) / 2 - actual) / actual
                                    if g else np.nan)}
            rows.append(row)
    return pd.DataFrame(rows)


def plant_year(seed: int, n_paths: int) -> list[dict]:
    plant = simulate_plant(108, seed=seed, start="2010-01")
    monthly = plant[["gold_oz"]].copy()
    monthly.attrs = dict(plant.attrs)
    quarterly, periods = as_quarterly_reporter(plant, seed=seed)
    months_known = QUARTER_END_MONTHS[seed % 4]
    as_of = pd.Period("2017-12", "M") + months_known
    actual = float(plant.loc["2018-01":"2018-12", "gold_oz"].sum())
    out = []
    for name, history, per in (("quarterly", quarterly, periods), ("monthly", monthly, None)):
        yf = forecast_year(make_model("ensemble"), history, as_of, 2018, periods=per,
                           n_paths=n_paths, seed=seed)
        out.append({"reporting": name, "seed": seed, "months_known": months_known,
                    **score(yf, actual)})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plant-years", type=int, default=500)
    ap.add_argument("--n-paths", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    pd.set_option("display.width", 200)
    t0 = time.perf_counter()
    table = dynacor_table(args.n_paths)
    print("Dynacor 2015-2017 as a quarterly reporter (only the published gold totals) and "
          "with its monthly figures; default procedure; APE %, 80% interval held the actual")
    print(table.round(2).to_string(index=False))
    print(f"mean APE: quarterly {table['quarterly_ape'].mean():.2f}%, monthly "
          f"{table['monthly_ape'].mean():.2f}%, guidance "
          f"{table['guidance_ape'].mean():.2f}% ({table['guidance_ape'].notna().sum()} "
          f"origins with guidance); 80% coverage: quarterly "
          f"{100 * table['quarterly_cover80'].mean():.0f}%, monthly "
          f"{100 * table['monthly_cover80'].mean():.0f}%")
    t1 = time.perf_counter()
    rows = Parallel(n_jobs=args.jobs)(delayed(plant_year)(s, args.n_paths)
                                      for s in range(args.plant_years))
    df = pd.DataFrame([r for pair in rows for r in pair])
    by = df.groupby(["months_known", "reporting"]).agg(n=("ape", "size"),
                                                       ape=("ape", "mean"),
                                                       cover80=("cover80", "mean"))
    by["cover80"] *= 100
    wide = by.unstack("reporting")
    wide[("ratio", "ape")] = wide[("ape", "quarterly")] / wide[("ape", "monthly")]
    print(f"\n{args.plant_years} simulated plant-years, 2018 from the quarter ends "
          f"(months known), default procedure:")
    print(wide.round(3).to_string())
    cover = df.loc[df["reporting"] == "quarterly", "cover80"].mean()
    print(f"quarterly reporters: 80% interval coverage {100 * cover:.1f}% (target 75-85%); "
          f"worst APE ratio to monthly {wide[('ratio', 'ape')].max():.3f} (target <= 1.2)")
    print(f"wall time: Dynacor {t1 - t0:.0f} s, simulated {time.perf_counter() - t1:.0f} s")


if __name__ == "__main__":
    main()
