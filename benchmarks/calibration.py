"""Calibration of annual intervals on simulated plants: coverage of the true annual total.

For each of N plant-years (a calibrated synthetic 300 tpd plant, 8 years of history, seed
i), forecast the target year from an as-of month cycling through Dec..Nov (0..11 months
known) and record whether the 50/80/90% intervals of the annual total contain the truth.

    .venv/bin/python benchmarks/calibration.py --plant-years 200 --models share_runrate ets

``--published`` gives every plant the reference plant's publication pattern first
(``models.simulator.reporting.as_published``: six quarterly-only years with period totals, a
four-month gap), as the calibration test does.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed

from models.core.errors import ModelDeclined
from models.core.year import forecast_year
from models.simulator.plant import simulate_plant
from models.simulator.reporting import as_published
from models.zoo import make_model

LEVELS = (0.5, 0.8, 0.9)


def one_plant_year(name: str, seed: int, n_paths: int, published: bool = False
                   ) -> dict | None:
    """Coverage flags and APE for one simulated plant-year (seed), or None if declined."""
    plant = simulate_plant(108, seed=seed, start="2010-01")
    h, periods = as_published(plant) if published else (plant, None)
    months_known = seed % 12
    as_of = pd.Period("2017-12", "M") + months_known
    truth = float(plant.loc["2018-01":"2018-12", "gold_oz"].sum())
    try:
        yf = forecast_year(make_model(name), h, as_of, 2018, n_paths=n_paths, seed=seed,
                           periods=periods)
    except ModelDeclined:
        return None
    a = yf.annual_paths
    row = {"model": name, "seed": seed, "months_known": months_known,
           "ape": abs(np.median(a) - truth) / truth * 100}
    for lvl in LEVELS:
        lo, hi = np.quantile(a, [(1 - lvl) / 2, (1 + lvl) / 2])
        row[f"cover{int(lvl * 100)}"] = bool(lo <= truth <= hi)
    return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plant-years", type=int, default=200)
    ap.add_argument("--models", nargs="+", default=["share_runrate", "seasonal_naive", "ets",
                                                    "theta", "state_space"])
    ap.add_argument("--n-paths", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--published", action="store_true",
                    help="publish each plant as the reference plant published its figures")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows = Parallel(n_jobs=args.jobs)(delayed(one_plant_year)(m, s, args.n_paths,
                                                              args.published)
                                      for m in args.models for s in range(args.plant_years))
    df = pd.DataFrame([r for r in rows if r is not None])
    table = df.groupby("model").agg(n=("seed", "size"), ape_mean=("ape", "mean"),
                                    cover50=("cover50", "mean"), cover80=("cover80", "mean"),
                                    cover90=("cover90", "mean"))
    for c in ("cover50", "cover80", "cover90"):
        table[c] = (table[c] * 100).round(1)
    print(f"annual-total interval coverage (%) on {args.plant_years} simulated plant-years"
          f"{' published like the reference plant' if args.published else ''}, "
          f"as-of cycling 0..11 months known, {args.n_paths} paths")
    print(table.round(2).to_string())
    print(f"wall time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
