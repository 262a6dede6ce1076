"""Honesty check on the real publication pattern: the served procedure is calibrated.

Simulated plants are published as the reference plant published its own figures
(``models.simulator.reporting.as_published``: six quarterly-only years, a four-month gap, period
totals). The procedure ``orecast train`` serves on the embedded data, the equal-weight
mixture of every member (tests/training/test_loyo.py checks the rule keeps it there), is
checked on 200 plant-years (seeds 0-199, as-of cycling through 0..11 months known): its 80%
and 50% intervals of the annual total must cover the true total 75-85% and 42-58% of the
time. The mixture's spread factor was measured on seeds from 10000 on
(benchmarks/mixture_spread.py), never on these.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

from models.core.year import forecast_year
from models.simulator.plant import simulate_plant
from models.simulator.reporting import as_published
from models.zoo import make_model


def _covered(name: str, seed: int) -> tuple[bool, bool]:
    plant = simulate_plant(108, seed=seed, start="2010-01")
    history, periods = as_published(plant)
    as_of = pd.Period("2017-12", "M") + seed % 12
    yf = forecast_year(make_model(name), history, as_of, 2018, n_paths=1000, seed=seed,
                       periods=periods)
    truth = plant.loc["2018-01":"2018-12", "gold_oz"].sum()
    lo80, lo50, hi50, hi80 = np.quantile(yf.annual_paths, [0.1, 0.25, 0.75, 0.9])
    return bool(lo80 <= truth <= hi80), bool(lo50 <= truth <= hi50)


@pytest.mark.slow
def test_the_served_mixture_is_calibrated_on_200_published_plant_years():
    hits = Parallel(n_jobs=2)(delayed(_covered)("ensemble", seed) for seed in range(200))
    cover80 = float(np.mean([h[0] for h in hits]))
    cover50 = float(np.mean([h[1] for h in hits]))
    assert 0.75 <= cover80 <= 0.85, f"80% interval covered {cover80:.1%}"
    assert 0.42 <= cover50 <= 0.58, f"50% interval covered {cover50:.1%}"
