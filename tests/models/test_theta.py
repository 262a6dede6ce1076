"""Theta with deseasonalisation: seasonality test, decomposition, paths and coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.calendar import month_of_year
from models.kernels.seasonal import is_seasonal, multiplicative_indices
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


def test_seasonality_test_detects_profile_and_rejects_white_noise():
    hist = seasonal_frame(72, 1)
    assert is_seasonal(hist["gold_oz"].to_numpy())
    noise = 6000.0 + 300.0 * np.random.default_rng(5).standard_normal(72)
    assert not is_seasonal(noise)
    # Fewer than two seasons: never called seasonal.
    assert not is_seasonal(hist["gold_oz"].to_numpy()[:23])


def test_multiplicative_indices_recover_the_profile():
    hist = seasonal_frame(96, 2)
    idx = multiplicative_indices(hist["gold_oz"].to_numpy(), month_of_year(hist.index))
    assert idx.mean() == pytest.approx(1.0)
    assert np.max(np.abs(idx - PROFILE)) < 0.05


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
