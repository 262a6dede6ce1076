"""Theta with deseasonalisation: shrunk seasonal indices, paths and coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.calendar import month_of_year
from models.kernels.seasonal import ratios_to_moving_average, shrunk_indices
from models.zoo.theta import Theta

#: multiplicative monthly profile (Jan..Dec): a rainy-season dip, averaging 1
PROFILE = np.array([0.78, 0.80, 0.90, 1.00, 1.06, 1.08, 1.08, 1.07, 1.07, 1.06, 1.05, 1.05])
PROFILE = PROFILE / PROFILE.mean()


def seasonal_frame(months: int, seed: int, sigma_level: float = 60.0,
                   sigma_obs: float = 150.0, drift_oz: float = 15.0) -> pd.DataFrame:
    """Local level with drift plus noise (SES-with-drift process), times PROFILE (oz)."""
    rng = np.random.default_rng(seed)
    level = 6000.0 + np.cumsum(drift_oz + sigma_level * rng.standard_normal(months))
    y = level + sigma_obs * rng.standard_normal(months)
    idx = pd.period_range("2009-01", periods=months, freq="M", name="month")
    return pd.DataFrame({"gold_oz": y * PROFILE[month_of_year(idx)]}, index=idx)


def test_shrunk_indices_keep_the_profile_and_flatten_white_noise():
    hist = seasonal_frame(96, 2)
    idx = shrunk_indices(hist["gold_oz"].to_numpy(), month_of_year(hist.index))
    assert idx.mean() == pytest.approx(1.0)
    assert np.max(np.abs(idx - PROFILE)) < 0.05
    # On white noise the indices move toward 1: by 1 - 9/11 of their distance on average
    # (James-Stein with 12 indices), never away from it.
    months = np.arange(72) % 12
    kept = []
    for seed in range(20):
        noise = 6000.0 + 300.0 * np.random.default_rng(seed).standard_normal(72)
        raw = ratios_to_moving_average(noise)
        raw_idx = np.array([np.nanmean(raw[months == m]) for m in range(12)])
        raw_idx /= raw_idx.mean()
        shrunk = shrunk_indices(noise, months)
        kept.append(np.abs(shrunk - 1).sum() / np.abs(raw_idx - 1).sum())
    assert max(kept) <= 1.0 + 1e-12 and np.mean(kept) < 0.4


def test_mean_path_follows_the_seasonal_profile():
    m = Theta().fit(seasonal_frame(72, 3))
    assert m.seasonal_
    mean = m.sample_paths(12, 2000, seed=0).mean(axis=0)
    months = month_of_year(m.future_index(12))
    assert np.corrcoef(mean, PROFILE[months])[0, 1] > 0.9


def test_short_history_is_not_deseasonalised():
    m = Theta().fit(seasonal_frame(18, 3))
    assert not m.seasonal_
    assert np.all(m.season_ == 1.0)


def test_80pct_interval_covers_about_80pct_of_outcomes():
    hits = []
    for rep in range(30):
        full = seasonal_frame(66, 200 + rep)
        paths = Theta().fit(full.iloc[:60]).sample_paths(6, 1000, seed=rep)
        lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
        truth = full["gold_oz"].to_numpy()[60:]
        hits.append((truth >= lo) & (truth <= hi))
    coverage = float(np.mean(hits))
    assert 0.65 <= coverage <= 0.93, coverage


def test_point_forecast_is_the_centre_of_the_paths_without_their_noise():
    m = Theta().fit(seasonal_frame(72, 4))
    point = m.point_forecast(12)
    assert point.shape == (12,) and np.all(point >= 0)
    paths = m.sample_paths(12, 4000, seed=3)
    se = paths.std(axis=0) / np.sqrt(paths.shape[0])
    assert np.all(np.abs(paths.mean(axis=0) - point) < 4 * se)
    # Seasonal: the point carries the profile, as the paths do.
    assert np.corrcoef(point, PROFILE[month_of_year(m.future_index(12))])[0, 1] > 0.8
    with pytest.raises(RuntimeError, match="not fitted"):
        Theta().point_forecast(3)
