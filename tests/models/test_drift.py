"""Random walk with drift: paths, determinism, trend recovery, interval coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.pipeline import fit_model
from models.kernels.trajectories import level_trajectories
from models.zoo.drift import Drift


def rw_drift_frame(months: int, seed: int, drift_oz: float = 40.0, sigma_oz: float = 250.0,
                   start_oz: float = 5000.0) -> pd.DataFrame:
    """A random walk with drift in oz (the model's own data-generating process)."""
    rng = np.random.default_rng(seed)
    y = start_oz + np.cumsum(drift_oz + sigma_oz * rng.standard_normal(months))
    idx = pd.period_range("2010-01", periods=months, freq="M", name="month")
    return pd.DataFrame({"gold_oz": y}, index=idx)


def test_bootstrap_paths_same_seed_same_paths_other_seed_differs():
    # The default (normal steps) is held to this by tests/models/test_zoo_contract.py.
    m = Drift(bootstrap=True).fit(rw_drift_frame(48, 0))
    a, b = m.sample_paths(6, 200, seed=7), m.sample_paths(6, 200, seed=7)
    c = m.sample_paths(6, 200, seed=8)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_mean_path_continues_a_linear_trend():
    idx = pd.period_range("2012-01", periods=36, freq="M", name="month")
    noise = np.random.default_rng(3).normal(0, 20.0, 36)
    hist = pd.DataFrame({"gold_oz": 4000.0 + 55.0 * np.arange(36) + noise}, index=idx)
    paths = Drift().fit(hist).sample_paths(12, 4000, seed=0)
    slope = np.polyfit(np.arange(1, 13), paths.mean(axis=0), 1)[0]
    assert slope == pytest.approx(55.0, rel=0.1)
    # The first step starts from the last month, not from the fitted line.
    assert paths.mean(axis=0)[0] == pytest.approx(hist["gold_oz"].iloc[-1] + 55.0, abs=40.0)


def test_spread_grows_with_horizon_like_an_accumulating_walk():
    # 30 months hold 18 whole 12-month trajectories, too few: the random walk is simulated.
    m = Drift().fit(rw_drift_frame(30, 2))
    assert level_trajectories(m.adjusted_, 12) is None
    sd = m.sample_paths(12, 4000, seed=0).std(axis=0)
    # Random walk: sd ~ sqrt(h); month 12 spread is about 3.5x month 1.
    assert 2.8 < sd[11] / sd[0] < 4.5


def test_with_enough_past_trajectories_a_noisy_level_keeps_its_spread():
    # A level with monthly noise: a year ahead is no less certain than a month ahead. The
    # random walk would make month 12 about 3.5x as wide as month 1.
    rng = np.random.default_rng(5)
    idx = pd.period_range("2010-01", periods=72, freq="M", name="month")
    hist = pd.DataFrame({"gold_oz": 6000.0 + 400.0 * rng.standard_normal(72)}, index=idx)
    sd = Drift().fit(hist).sample_paths(12, 4000, seed=0).std(axis=0)
    assert sd[11] / sd[0] < 1.6


def test_a_past_shutdown_month_leaves_the_year_near_its_level():
    rng = np.random.default_rng(0)
    idx = pd.period_range("2010-01", periods=60, freq="M", name="month")
    y = 8000.0 + 500.0 * rng.standard_normal(60)
    clean = Drift().fit(pd.DataFrame({"gold_oz": y}, index=idx))
    y[30] = 50.0
    shut = Drift().fit(pd.DataFrame({"gold_oz": y}, index=idx))
    med = [np.median(m.sample_paths(12, 2000, seed=1).sum(axis=1)) for m in (clean, shut)]
    assert med[1] == pytest.approx(med[0], rel=0.05)


def test_annual_interval_of_a_noisy_level_covers_about_80pct():
    hits = []
    for rep in range(60):
        rng = np.random.default_rng(200 + rep)
        idx = pd.period_range("2010-01", periods=60, freq="M", name="month")
        full = pd.DataFrame({"gold_oz": 6000.0 + 400.0 * rng.standard_normal(60)}, index=idx)
        totals = Drift().fit(full.iloc[:48]).sample_paths(12, 1000, seed=rep).sum(axis=1)
        lo, hi = np.quantile(totals, [0.1, 0.9])
        hits.append(lo <= full["gold_oz"].iloc[48:].sum() <= hi)
    # The random walk's interval held every one of these totals.
    assert 0.65 <= float(np.mean(hits)) <= 0.95, np.mean(hits)


def test_80pct_interval_covers_about_80pct_of_outcomes():
    hits = []
    for rep in range(40):
        full = rw_drift_frame(66, 100 + rep)
        m = Drift().fit(full.iloc[:60])
        paths = m.sample_paths(6, 1000, seed=rep)
        lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
        truth = full["gold_oz"].to_numpy()[60:]
        hits.append((truth >= lo) & (truth <= hi))
    coverage = float(np.mean(hits))
    assert 0.68 <= coverage <= 0.92, coverage


def test_fits_through_a_gap_without_filling_it():
    hist = rw_drift_frame(30, 4)
    y = hist["gold_oz"].to_numpy().copy()
    hist.iloc[10:12, 0] = np.nan
    m = fit_model(Drift(), hist)
    assert m.n_obs_ == 28
    # the drift spans first to last observed month; the gap adds nothing
    assert m.drift_oz_ == pytest.approx((y[-1] - y[0]) / 29)
    # 27 changes between consecutive figures, one of them across the gap
    assert m.residuals_.size == 27


def test_a_gap_at_the_end_is_simulated_through():
    hist = rw_drift_frame(30, 4)
    hist.iloc[-3:, 0] = np.nan
    m = fit_model(Drift(), hist)
    paths = m.sample_paths(2, 2000, seed=0)
    # two months ahead of the end are five months after the last figure
    assert np.median(paths[:, 0]) == pytest.approx(m.last_oz_ + 4 * m.drift_oz_,
                                                   abs=3 * m.sigma_oz_)
