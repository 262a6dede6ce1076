"""Empirical trajectories of a level carried forward (models.kernels.trajectories)."""

from __future__ import annotations

import numpy as np

from models.kernels.trajectories import MIN_ORIGINS, relative_trajectories


def test_trajectories_are_the_centred_ratios_to_each_origin():
    y = np.array([10.0, 12.0, 9.0, 11.0, 10.0])
    traj = relative_trajectories(y, 2, min_origins=1)
    ratios = np.array([[12 / 10, 9 / 10], [9 / 12, 11 / 12], [11 / 9, 10 / 9]])
    np.testing.assert_allclose(traj, ratios - ratios.mean(axis=0))


def test_origins_with_an_unknown_or_zero_month_are_left_out():
    y = np.array([10.0, np.nan, 9.0, 0.0, 10.0, 12.0, 11.0])
    traj = relative_trajectories(y, 1, min_origins=1)
    # origins 10 (next unknown), the unknown month, and 0 (no ratio) are left out;
    # 9 -> 0 counts: a month at zero is a known figure
    ratios = np.array([0.0 / 9.0, 12.0 / 10.0, 11.0 / 12.0])
    np.testing.assert_allclose(traj[:, 0], ratios - ratios.mean())


def test_too_few_origins_give_none():
    y = np.arange(1.0, 13.0 + MIN_ORIGINS)  # 12 + MIN_ORIGINS months: MIN_ORIGINS origins
    assert relative_trajectories(y, 12).shape == (MIN_ORIGINS, 12)
    assert relative_trajectories(y[1:], 12) is None
    y[5] = np.nan  # the origins whose window holds it no longer count
    assert relative_trajectories(y, 12) is None


def test_a_noisy_level_gives_flat_spread_and_a_walk_a_growing_one():
    rng = np.random.default_rng(0)
    noise = 1000.0 + 50.0 * rng.standard_normal(600)
    walk = 1000.0 + np.cumsum(10.0 * rng.standard_normal(600))
    sd_noise = relative_trajectories(noise, 12).std(axis=0)
    sd_walk = relative_trajectories(walk, 12).std(axis=0)
    assert sd_noise[11] / sd_noise[0] < 1.2
    # a random walk's h-step change has sd ~ sqrt(h): about 3.5x at 12 months
    assert 2.5 < sd_walk[11] / sd_walk[0] < 4.5
