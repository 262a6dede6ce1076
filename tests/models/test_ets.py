from __future__ import annotations

import numpy as np
import pandas as pd

from models.zoo.ets import ETS


def test_selects_seasonal_form_on_seasonal_data():
    rng = np.random.default_rng(0)
    t = np.arange(96)
    y = 6000 + 1500 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 150, t.size)
    idx = pd.period_range("2010-01", periods=t.size, freq="M", name="month")
    m = ETS().fit(pd.DataFrame({"gold_oz": y}, index=idx))
    assert m.spec_.endswith("A)") or m.spec_.endswith("M)")
    paths = m.sample_paths(12, 500, seed=0)
    truth = 6000 + 1500 * np.sin(2 * np.pi * np.arange(96, 108) / 12)
    assert np.corrcoef(paths.mean(axis=0), truth)[0, 1] > 0.9


def test_interval_coverage_on_level_series():
    hits = []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        y = 5000 + rng.normal(0, 300, 60)
        idx = pd.period_range("2010-01", periods=60, freq="M", name="month")
        m = ETS().fit(pd.DataFrame({"gold_oz": y[:48]}, index=idx[:48]))
        p = m.sample_paths(12, 500, seed=seed)
        lo, hi = np.quantile(p, [0.1, 0.9], axis=0)
        hits.append(np.mean((y[48:] >= lo) & (y[48:] <= hi)))
    assert 0.6 <= float(np.mean(hits)) <= 0.97


def test_point_forecast_is_the_centre_of_the_paths_without_their_noise():
    rng = np.random.default_rng(1)
    t = np.arange(84)
    y = (6000 + 10 * t + 1200 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 150, t.size)
    idx = pd.period_range("2010-01", periods=t.size, freq="M", name="month")
    m = ETS().fit(pd.DataFrame({"gold_oz": y}, index=idx))
    point = m.point_forecast(12)
    assert point.shape == (12,) and np.all(point >= 0)
    np.testing.assert_array_equal(point, m.point_forecast(12))
    paths = m.sample_paths(12, 4000, seed=3)
    se = paths.std(axis=0) / np.sqrt(paths.shape[0])
    assert np.all(np.abs(paths.mean(axis=0) - point) < 4 * se + 1e-9)


def test_point_forecast_needs_a_fitted_model():
    import pytest

    with pytest.raises(RuntimeError, match="not fitted"):
        ETS().point_forecast(3)
