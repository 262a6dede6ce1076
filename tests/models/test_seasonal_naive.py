from __future__ import annotations

from functools import partial

import numpy as np

from models.zoo.seasonal_naive import SeasonalNaive
from tests.models.series import gold_frame

_series = partial(gold_frame, start="2015-01")


def test_repeats_last_season_when_residuals_are_zero():
    season = np.arange(1, 13) * 100.0
    m = SeasonalNaive().fit(_series(np.tile(season, 3)))
    paths = m.sample_paths(24, 10, seed=0)
    np.testing.assert_array_equal(paths, np.tile(season, (10, 2)))


def test_uncertainty_grows_in_the_second_year(plant):
    m = SeasonalNaive().fit(plant)
    paths = m.sample_paths(24, 4000, seed=1)
    sd = paths.std(axis=0)
    assert sd[12:].mean() > 1.2 * sd[:12].mean()


def test_block_bootstrap_keeps_runs_of_residuals():
    from models.zoo.seasonal_naive import _block_bootstrap

    res = np.arange(24, dtype=float)
    d = _block_bootstrap(res, 50, 12, 6, np.random.default_rng(0))
    steps = np.diff(d, axis=1)
    # inside a block residuals are consecutive (step 1, or -23 at the circular wrap)
    assert np.all(np.isin(steps[:, :5], [1.0, -23.0]))


def test_smoothed_draws_keep_the_residuals_mean_and_variance():
    from models.zoo.seasonal_naive import _smoothed

    res = np.array([-300.0, -120.0, 0.0, 40.0, 90.0, 250.0, 410.0, -60.0, 15.0, 130.0])
    draws = np.random.default_rng(1).choice(res, size=(20000, 12))
    out = _smoothed(draws, res, np.random.default_rng(2))
    assert abs(out.mean() - res.mean()) < 3.0  # 240,000 draws: standard error ~0.4 oz
    assert abs(out.var() / res.var() - 1) < 0.02


def test_a_years_totals_are_not_a_handful_of_values(dynacor):
    # two years of months leave 12 residuals: unsmoothed, every path of next year summed
    # to one of 9 totals (a spiky histogram in every publication)
    import pandas as pd

    from models.core.year import forecast_year

    yf = forecast_year(SeasonalNaive(), dynacor.monthly, pd.Period("2017-12", "M"),
                       n_paths=2000, periods=dynacor.periods)
    _, counts = np.unique(np.round(yf.annual_paths, 1), return_counts=True)
    assert counts.max() <= 3
