from functools import partial

import numpy as np
import pytest

from models.kernels.trajectories import level_trajectories
from models.zoo.naive import Naive
from models.zoo.season import season_ahead
from tests.models.series import gold_frame

frame = partial(gold_frame, start="2020-01")


def test_naive_repeats_the_last_observed_month():
    m = Naive().fit(frame([100.0, 120.0, np.nan, 130.0, np.nan]))
    np.testing.assert_array_equal(m.point_forecast(3), [130.0, 130.0, 130.0])


def test_naive_paths_walk_by_observed_changes():
    m = Naive().fit(frame([100.0, 110.0, 105.0]))
    paths = m.sample_paths(4, 500, seed=1)
    steps = np.diff(np.c_[np.full(500, 105.0), paths], axis=1)
    # the observed changes +10 and -5, centred on zero: the naive model has no drift
    assert set(np.unique(steps)) <= {7.5, -7.5}


def test_naive_with_one_month_gives_flat_paths():
    m = Naive().fit(frame([42.0]))
    np.testing.assert_array_equal(m.sample_paths(3, 5, seed=0), np.full((5, 3), 42.0))


def test_naive_with_enough_past_trajectories_draws_the_series_own():
    # 40 months hold 28 whole 12-month trajectories: each path is the last month plus one
    # of them (centred, at today's level), not a random walk of the changes.
    rng = np.random.default_rng(3)
    y = 500.0 + 40.0 * rng.standard_normal(40)
    m = Naive().fit(frame(y))
    traj = level_trajectories(m.adjusted_, 12)
    assert traj is not None and traj.deviations.shape == (28, 12)
    paths = m.sample_paths(12, 300, seed=0)
    rows = (paths / season_ahead(m.season_, m.last_month_, 12) - m.last_oz_) / traj.level
    assert all(np.isclose(traj.deviations, r).all(axis=1).any() for r in rows)


def test_a_past_shutdown_month_leaves_the_year_near_its_level():
    # One month at 50 oz in five years of about 8,000 oz: divided by that month, the change
    # after it pulled every path to zero.
    rng = np.random.default_rng(0)
    y = 8000.0 + 500.0 * rng.standard_normal(60)
    clean = Naive().fit(frame(y)).sample_paths(12, 2000, seed=1).sum(axis=1)
    y[30] = 50.0
    shut = Naive().fit(frame(y)).sample_paths(12, 2000, seed=1).sum(axis=1)
    assert np.median(shut) == pytest.approx(np.median(clean), rel=0.05)
    assert np.quantile(shut, 0.1) > 0.8 * np.median(clean)


def test_naive_annual_interval_of_a_noisy_level_covers_about_80pct():
    hits = []
    for rep in range(60):
        y = 6000.0 + 400.0 * np.random.default_rng(100 + rep).standard_normal(60)
        totals = Naive().fit(frame(y[:48])).sample_paths(12, 1000, seed=rep).sum(axis=1)
        lo, hi = np.quantile(totals, [0.1, 0.9])
        hits.append(lo <= y[48:].sum() <= hi)
    # The random walk of the changes held every one of these totals (too wide).
    assert 0.65 <= float(np.mean(hits)) <= 0.95, np.mean(hits)
