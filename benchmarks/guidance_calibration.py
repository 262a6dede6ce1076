"""Calibration of ``orecast guidance`` on simulated plants: how often the advised range
contains the true next-year total.

For each of N plant-years (a calibrated synthetic 300 tpd plant,
``models.simulator.plant.simulate_plant(108, seed)``: 2010-01 to 2018-12, one independent
plant per seed, as ``benchmarks/calibration.py`` builds them), the 2018 total is forecast
from December 2017 (0 months of 2018 known) with what ``orecast guidance`` runs: the
procedure ``orecast train`` serves by default (the equal-weight mixture of every single
model of the zoo, ``ensemble``) through ``training.serving.year_forecast``, and the range
advised by ``forecast.advice.advise`` (rounded to whole oz as the command publishes it).
The forecaster sees the months up to December 2017 only. Printed: the share of plant-years
whose true total falls inside the range, with an exact binomial 95% interval, the share
reaching the range's low end (target (1 + c) / 2), and the CPU time.

    .venv/bin/python benchmarks/guidance_calibration.py --plant-years 500

``benchmarks/calibration.py``'s ``one_plant_year`` is not called: it cycles the as-of
through 0..11 months known by seed and scores unrounded quantiles of a zoo model, where
this measures the command's own range from December. Seeds start at 20000, apart from those
the mixture's spread factor was set on (10000-10399, ``benchmarks/mixture_spread.py``) and
those of the calibration test (0-199); ``--first-seed 40000`` repeats the check on plants no
other benchmark or test uses:

    .venv/bin/python benchmarks/guidance_calibration.py --plant-years 500 --first-seed 40000
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy.stats import binomtest
from tqdm import tqdm

from forecast.advice import advise, coverage_label
from models.simulator.plant import simulate_plant
from models.simulator.reporting import as_published
from models.zoo.ensemble import DEFAULT_MEMBERS
from training.serving import year_forecast
from training.spec import ModelSpec

FIRST_SEED = 20_000
#: the procedure ``orecast train`` serves when no candidate beats it: every single model
#: of the zoo, equal weights (``training.train``: ``ensemble`` over the backtested members)
SERVED = ModelSpec.for_name("ensemble", {"members": list(DEFAULT_MEMBERS)})
YEAR = 2018


def one_plant_year(seed: int, n_paths: int, coverage: float, published: bool) -> dict:
    """The advised range for one simulated plant's 2018 from December 2017, and the truth.

    Returns:
        ``seed, truth_oz, low_oz, high_oz, inside, reached_low, n_members, cpu_s`` (this
        task's CPU seconds), ``pid`` and ``process_cpu_s`` (the CPU seconds its process has
        used so far, imports included).
    """
    t0 = time.process_time()
    plant = simulate_plant(108, seed=seed, start="2010-01")
    known = plant.loc[:f"{YEAR - 1}-12"]
    history, periods = as_published(known) if published else (known, None)
    yf, _ = year_forecast(SERVED, history, periods, {
        "as_of": f"{YEAR - 1}-12", "year": YEAR, "n_paths": n_paths, "seed": seed})
    advice = advise(yf.annual_paths, coverage)
    truth = float(plant.loc[f"{YEAR}-01":f"{YEAR}-12", "gold_oz"].sum())
    return {"seed": seed, "truth_oz": truth, "low_oz": advice.low_oz,
            "high_oz": advice.high_oz, "inside": advice.low_oz <= truth <= advice.high_oz,
            "reached_low": truth >= advice.low_oz, "n_members": len(yf.members),
            "cpu_s": time.process_time() - t0, "pid": os.getpid(),
            "process_cpu_s": time.process_time()}


def share_line(name: str, hits: int, n: int, target: float) -> str:
    """``name: 80.2% (401 of 500), 95% CI 76.4-83.6%, target 80%`` (exact binomial CI)."""
    ci = binomtest(hits, n).proportion_ci(confidence_level=0.95, method="exact")
    return (f"{name}: {100 * hits / n:.1f}% ({hits} of {n}), 95% CI "
            f"{100 * ci.low:.1f}-{100 * ci.high:.1f}%, target {100 * target:g}%")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plant-years", type=int, default=500)
    ap.add_argument("--n-paths", type=int, default=4000, help="as the command's default")
    ap.add_argument("--coverage", type=float, default=0.8)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--published", action="store_true",
                    help="publish each plant as the reference plant published its figures")
    ap.add_argument("--first-seed", type=int, default=FIRST_SEED)
    args = ap.parse_args()
    t0, cpu0 = time.perf_counter(), time.process_time()
    seeds = range(args.first_seed, args.first_seed + args.plant_years)
    tasks = Parallel(n_jobs=args.jobs, return_as="generator")(
        delayed(one_plant_year)(s, args.n_paths, args.coverage, args.published)
        for s in seeds)
    rows = list(tqdm(tasks, total=len(seeds), disable=not sys.stderr.isatty()))
    df = pd.DataFrame(rows)
    n = len(df)
    c = args.coverage
    print(f"orecast guidance on {n} simulated plant-years (seeds {seeds[0]}-{seeds[-1]}"
          f"{', published like the reference plant' if args.published else ''}): "
          f"{YEAR} from December {YEAR - 1}, served equal mixture "
          f"({int(df['n_members'].median())} members took part, median), "
          f"{args.n_paths} paths, {coverage_label(c)} range")
    print("  " + share_line(f"true total inside the {coverage_label(c)} range",
                            int(df["inside"].sum()), n, c))
    print("  " + share_line("true total at or above its low end",
                            int(df["reached_low"].sum()), n, (1 + c) / 2))
    below = int((df["truth_oz"] < df["low_oz"]).sum())
    above = int((df["truth_oz"] > df["high_oz"]).sum())
    width = float(np.median((df["high_oz"] - df["low_oz"]) / df["truth_oz"] * 100))
    print(f"  below the range {below}, above it {above}; median width {width:.1f}% of the "
          f"true total")
    # Every worker's whole CPU time (its imports too) plus this process's since the start;
    # with one job the tasks ran here and are in the latter.
    workers = df.loc[df["pid"] != os.getpid()].groupby("pid")["process_cpu_s"].max()
    cpu = time.process_time() - cpu0 + float(workers.sum())
    print(f"CPU time {cpu:.0f} s ({float(df['cpu_s'].mean()):.2f} s per plant-year), "
          f"wall time {time.perf_counter() - t0:.0f} s on {args.jobs} jobs")


if __name__ == "__main__":
    main()
