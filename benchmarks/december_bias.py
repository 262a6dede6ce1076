"""Where the guidance range's misses come from: each zoo member's annual total from December.

For each of N simulated plant-years (``models.simulator.plant.simulate_plant(108, seed)``,
seeds from 30000, apart from every other benchmark's and test's seeds), every single model
of the zoo forecasts the 2018 total from December 2017 (0 months of 2018 known), as
``orecast guidance`` asks the served mixture to. Printed per member: the mean log ratio of
its P50 to the true total (``bias``: +0.05 is about 5% too high), the mean absolute log
ratio (``mad``), and how often its 80% interval held the truth, with the misses below and
above it; then the same bias for the equal-weight mixture's mean (the mean of the members'
means, whatever its spread factor). A member that declines a history (no ore tonnes, too short) is left out of that
plant-year, as the mixture leaves it out. Nothing here reads real data.

    .venv/bin/python benchmarks/december_bias.py --plant-years 150
    .venv/bin/python benchmarks/december_bias.py --plant-years 150 --published
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
from models.zoo.ensemble import DEFAULT_MEMBERS

FIRST_SEED = 30_000
YEAR = 2018


def one_plant_year(seed: int, published: bool, n_paths: int) -> list[dict]:
    """Every member's 2018 P50 and 80% interval from December 2017 against the truth (oz)."""
    plant = simulate_plant(108, seed=seed, start="2010-01")
    known = plant.loc[:f"{YEAR - 1}-12"]
    history, periods = as_published(known) if published else (known, None)
    truth = float(plant.loc[f"{YEAR}-01":f"{YEAR}-12", "gold_oz"].sum())
    rows = []
    for name in DEFAULT_MEMBERS:
        try:
            yf = forecast_year(make_model(name), history, pd.Period(f"{YEAR - 1}-12", "M"),
                               YEAR, n_paths=n_paths, seed=seed, periods=periods)
        except ModelDeclined:
            continue
        lo, med, hi = np.quantile(yf.annual_paths, [0.1, 0.5, 0.9])
        rows.append({"seed": seed, "member": name, "lr": float(np.log(med / truth)),
                     "mean": float(yf.annual_paths.mean()), "truth": truth,
                     "inside": lo <= truth <= hi, "below": truth < lo, "above": truth > hi})
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plant-years", type=int, default=150)
    ap.add_argument("--n-paths", type=int, default=1000)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--published", action="store_true",
                    help="publish each plant as the reference plant published its figures")
    args = ap.parse_args()
    t0 = time.time()
    seeds = range(FIRST_SEED, FIRST_SEED + args.plant_years)
    res = Parallel(n_jobs=args.jobs)(delayed(one_plant_year)(s, args.published, args.n_paths)
                                     for s in seeds)
    df = pd.DataFrame([r for rows in res for r in rows])
    table = df.groupby("member").agg(
        bias=("lr", "mean"), mad=("lr", lambda x: float(np.mean(np.abs(x)))),
        cover80=("inside", "mean"), below=("below", "mean"), above=("above", "mean"),
        n=("lr", "size"))
    print(f"{YEAR} total from December {YEAR - 1}, {args.plant_years} simulated plant-years "
          f"(seeds {seeds[0]}-{seeds[-1]}"
          f"{', published like the reference plant' if args.published else ''}), "
          f"{args.n_paths} paths per member:")
    print(table.round(3).to_string())
    # The equal-weight mixture's mean is the mean of its members' means.
    per_year = df.groupby("seed").agg(mean=("mean", "mean"), truth=("truth", "first"))
    print(f"equal-weight mixture of these members: mean log ratio of its mean to the truth "
          f"{float(np.log(per_year['mean'] / per_year['truth']).mean()):.3f}")
    print(f"wall time {time.time() - t0:.0f} s on {args.jobs} jobs")


if __name__ == "__main__":
    main()
