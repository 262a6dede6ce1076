"""Empirical trajectories of a level carried forward (models.kernels.trajectories)."""

from __future__ import annotations

import numpy as np

from models.kernels.trajectories import LEVEL_MONTHS, MIN_ORIGINS, level_trajectories


def test_trajectories_are_the_centred_changes_in_units_of_the_level_around_each_origin():
    y = np.array([10.0, 12.0, 9.0, 11.0, 10.0])
    traj = level_trajectories(y, 2, min_origins=1)
    # levels: median of the months up to each origin (fewer than 12 known at the start)
    levels = np.array([10.0, 11.0, 10.0])
    changes = np.array([[2.0, -1.0], [-3.0, -1.0], [2.0, 1.0]]) / levels[:, None]
    np.testing.assert_allclose(traj.deviations, changes - changes.mean(axis=0))
    assert traj.level == np.median(y)
    rows = np.random.default_rng(7).integers(0, 3, size=4)
    np.testing.assert_allclose(traj.draw(np.random.default_rng(7), 4),
                               traj.level * traj.deviations[rows])


def test_origins_with_an_unknown_month_are_left_out_and_a_zero_month_counts():
    y = np.array([10.0, np.nan, 9.0, 0.0, 10.0, 12.0, 11.0])
    traj = level_trajectories(y, 1, min_origins=1)
    # origins 10 (next unknown) and the unknown month are left out; a month at zero is a
    # known figure, as origin (level 9.5: median of 10, 9, 0) and as outcome
    levels = np.array([9.5, 9.0, 9.5, 10.0])
    changes = np.array([-9.0, 10.0, 2.0, -1.0]) / levels
    np.testing.assert_allclose(traj.deviations[:, 0], changes - changes.mean())
    assert traj.level == np.nanmedian(y)


def test_the_level_is_the_median_of_the_last_known_year():
    y = np.r_[np.full(30, 100.0), np.full(LEVEL_MONTHS, 300.0), np.nan, np.nan]
    assert level_trajectories(y, 1).level == 300.0


def test_too_few_origins_give_none():
    y = np.arange(1.0, 13.0 + MIN_ORIGINS)  # 12 + MIN_ORIGINS months: MIN_ORIGINS origins
    assert level_trajectories(y, 12).deviations.shape == (MIN_ORIGINS, 12)
    assert level_trajectories(y[1:], 12) is None
    y[5] = np.nan  # the origins whose window holds it no longer count
    assert level_trajectories(y, 12) is None


def test_a_series_at_zero_gives_none():
    assert level_trajectories(np.zeros(60), 12) is None


def test_a_noisy_level_gives_flat_spread_and_a_walk_a_growing_one():
    rng = np.random.default_rng(0)
    noise = 1000.0 + 50.0 * rng.standard_normal(600)
    walk = 1000.0 + np.cumsum(10.0 * rng.standard_normal(600))
    sd_noise = level_trajectories(noise, 12).deviations.std(axis=0)
    sd_walk = level_trajectories(walk, 12).deviations.std(axis=0)
    assert sd_noise[11] / sd_noise[0] < 1.2
    # a random walk's h-step change has sd ~ sqrt(h): about 3.5x at 12 months
    assert 2.5 < sd_walk[11] / sd_walk[0] < 4.5


def test_a_shutdown_month_does_not_blow_up_the_changes():
    # Divided by the origin month, the month after a 50 oz shutdown would be a change of
    # +16,000%; in units of the level around it, it is about +100%.
    rng = np.random.default_rng(1)
    y = 8000.0 + 500.0 * rng.standard_normal(60)
    y[30] = 50.0
    dev = level_trajectories(y, 12).deviations
    assert np.abs(dev).max() < 1.5
