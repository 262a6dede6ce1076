"""Honesty check: the selected model's 80% annual interval covers the truth 70-90% of the time.

Selection is made by a backtest on simulated plants; calibration is then measured on 200
other simulated plant-years (different seeds), as-of cycling through 0..11 months known.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from joblib import Parallel, delayed

from models.simulate import simulate_plant
from models.year import forecast_year
from models.zoo import make_model
from training.backtest import run_backtest
from training.selection import select_model

CANDIDATES = ["seasonal_naive", "drift", "share_runrate", "theta"]


def _covered(name: str, seed: int) -> bool:
    h = simulate_plant(108, seed=seed, start="2010-01")
    as_of = pd.Period("2017-12", "M") + seed % 12
    yf = forecast_year(make_model(name), h, as_of, 2018, n_paths=1000, seed=seed)
    lo, hi = np.quantile(yf.annual_paths, [0.1, 0.9])
    return bool(lo <= h.loc["2018-01":"2018-12", "gold_oz"].sum() <= hi)


@pytest.mark.slow
def test_selected_model_80pct_interval_is_calibrated_on_200_plant_years():
    results = [run_backtest(simulate_plant(96, seed=10_000 + i, start="2010-01"), CANDIDATES,
                            [2017], n_paths=500, seed=i, n_jobs=2) for i in range(2)]
    per_origin = pd.concat([r.per_origin.assign(year=r.per_origin["year"] + 10 * i)
                            for i, r in enumerate(results)], ignore_index=True)
    from training.backtest import BacktestResult, summarise

    selected = select_model(BacktestResult(per_origin=per_origin,
                                           summary=summarise(per_origin))).best
    hits = Parallel(n_jobs=2)(delayed(_covered)(selected, seed) for seed in range(200))
    coverage = float(np.mean(hits))
    assert 0.70 <= coverage <= 0.90, f"{selected}: 80% interval covered {coverage:.1%}"
