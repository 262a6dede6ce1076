"""Scores against brute-force implementations and known closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import integrate, stats

from training import metrics


def brute_crps(samples: np.ndarray, y: float) -> float:
    """E|X - y| - 0.5 E|X - X'| by the O(n^2) double sum."""
    x = np.asarray(samples, dtype=float)
    return float(np.abs(x - y).mean() - 0.5 * np.abs(x[:, None] - x[None, :]).mean())


def gaussian_crps(y: float, mu: float = 0.0, sigma: float = 1.0) -> float:
    """Closed form for N(mu, sigma^2) (Gneiting & Raftery 2007, eq. 5)."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / math.sqrt(math.pi))


def test_crps_matches_brute_force_double_sum():
    rng = np.random.default_rng(1)
    x = rng.gamma(3.0, 2000.0, size=301)
    for y in (-5.0, 0.0, 3000.0, 6123.4, 50000.0):
        assert metrics.crps_from_samples(x, y) == pytest.approx(brute_crps(x, y), rel=1e-10)


def test_crps_two_dimensional_is_columnwise():
    rng = np.random.default_rng(2)
    x = rng.normal(5000, 800, size=(257, 4))
    y = np.array([4000.0, 5000.0, np.nan, 7000.0])
    got = metrics.crps_from_samples(x, y)
    assert got.shape == (4,)
    assert np.isnan(got[2])
    for j in (0, 1, 3):
        assert got[j] == pytest.approx(brute_crps(x[:, j], y[j]), rel=1e-10)


@pytest.mark.parametrize("y", [-2.0, -0.3, 0.0, 1.1, 3.0])
def test_crps_of_normal_samples_matches_gaussian_closed_form(y):
    x = np.random.default_rng(3).standard_normal(40_000)
    # Monte Carlo error of the CRPS estimate is O(1/sqrt(n)) ~ 0.005 here.
    assert metrics.crps_from_samples(x, y) == pytest.approx(gaussian_crps(y), abs=0.02)


def test_crps_of_point_mass_is_absolute_error():
    assert metrics.crps_from_samples(np.full(50, 7.0), 10.0) == pytest.approx(3.0)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 40), elements=st.floats(0, 1e5)),
       st.floats(0, 1e5))
def test_crps_nonnegative_and_equal_to_brute_force(x, y):
    got = metrics.crps_from_samples(x, y)
    assert got >= -1e-9 * max(1.0, np.abs(x).max(), y)
    assert got == pytest.approx(brute_crps(x, y), rel=1e-9, abs=1e-6)


def uniform_crps_by_integration(lo: float, hi: float, y: float) -> float:
    """Integral of (F(x) - 1{x >= y})^2 over the real line, F uniform on [lo, hi]."""
    def f(x):
        cdf = min(max((x - lo) / (hi - lo), 0.0), 1.0)
        return (cdf - (1.0 if x >= y else 0.0)) ** 2
    a, b = min(lo, y) - 1.0, max(hi, y) + 1.0
    return integrate.quad(f, a, b, points=sorted({lo, hi, y}), limit=200)[0]


@pytest.mark.parametrize("y", [70_000.0, 78_000.0, 79_897.0, 80_000.0, 85_000.0])
def test_crps_uniform_matches_numerical_integral(y):
    lo, hi = 78_000.0, 80_000.0
    assert metrics.crps_uniform(lo, hi, y) == pytest.approx(
        uniform_crps_by_integration(lo, hi, y), rel=1e-6)


def test_crps_uniform_midpoint_is_width_over_twelve_and_zero_width_is_abs_error():
    assert metrics.crps_uniform(0.0, 1.0, 0.5) == pytest.approx(1 / 12)
    assert metrics.crps_uniform(5.0, 5.0, 8.0) == pytest.approx(3.0)
    grid = np.linspace(88_000, 92_000, 20_001)
    assert metrics.crps_uniform(88_000, 92_000, 79_897) == pytest.approx(
        metrics.crps_from_samples(grid, 79_897), rel=1e-4)


def test_pinball_matches_definition_for_given_quantiles():
    levels = (0.1, 0.5, 0.9)
    q = np.array([90.0, 100.0, 120.0])
    y = 95.0
    expected = np.mean([(1 - 0.1) * 0 + 0.1 * (95 - 90), 0.5 * (100 - 95), 0.1 * (120 - 95)])
    got = metrics.pinball_loss(q, y, levels, quantiles_given=True)
    assert got == pytest.approx(expected)


def test_pinball_from_samples_uses_sample_quantiles():
    rng = np.random.default_rng(4)
    x = rng.normal(100, 10, size=(999, 3))
    y = np.array([90.0, 100.0, 125.0])
    q = np.quantile(x, metrics.PINBALL_LEVELS, axis=0)
    assert np.allclose(metrics.pinball_loss(x, y),
                       metrics.pinball_loss(q, y, quantiles_given=True))


def test_twice_mean_pinball_over_dense_levels_approximates_crps():
    x = np.random.default_rng(5).normal(0, 1, 20_000)
    levels = np.arange(1, 200) / 200
    for y in (-1.5, 0.2, 2.0):
        assert 2 * metrics.pinball_loss(x, y, levels) == pytest.approx(
            metrics.crps_from_samples(x, y), rel=0.02)


def test_interval_coverage_is_nominal_for_a_calibrated_forecast():
    rng = np.random.default_rng(6)
    samples = rng.standard_normal(4000)
    outcomes = rng.standard_normal(4000)
    for level in (0.5, 0.8, 0.9):
        hits = metrics.interval_coverage(samples, outcomes, level)
        se = math.sqrt(level * (1 - level) / 4000)
        assert abs(np.nanmean(hits) - level) < 4 * se + 0.01


def test_interval_coverage_bounds_inclusive_and_nan_passthrough():
    x = np.arange(101.0)  # 80% interval of 0..100 is [10, 90]
    assert metrics.interval_coverage(x, 10.0, 0.8) == 1.0
    assert metrics.interval_coverage(x, 90.0, 0.8) == 1.0
    assert metrics.interval_coverage(x, 90.5, 0.8) == 0.0
    assert np.isnan(metrics.interval_coverage(x, np.nan, 0.8))


def test_point_errors_match_their_definitions_and_skip_nan():
    a = np.array([100.0, 200.0, np.nan, 0.0])
    f = np.array([110.0, 150.0, 999.0, 0.0])
    assert metrics.mae(a, f) == pytest.approx((10 + 50 + 0) / 3)
    expected_smape = (200 * 10 / 210 + 200 * 50 / 350 + 0.0) / 3
    assert metrics.smape(a, f) == pytest.approx(expected_smape)
    assert metrics.mase(a, f, 20.0) == pytest.approx((10 + 50 + 0) / 3 / 20)
    assert np.isnan(metrics.mae([np.nan], [1.0]))
    assert np.isnan(metrics.mase(a, f, 0.0))


def test_mase_scale_seasonal_then_lag_one_fallback():
    rng = np.random.default_rng(7)
    y = rng.normal(6000, 500, size=30)
    y[14] = np.nan
    pairs = [abs(y[t] - y[t - 12]) for t in range(12, 30)
             if np.isfinite(y[t]) and np.isfinite(y[t - 12])]
    assert metrics.mase_scale(y) == pytest.approx(np.mean(pairs))
    short = y[:12]
    assert metrics.mase_scale(short) == pytest.approx(np.mean(np.abs(np.diff(short))))
    assert np.isnan(metrics.mase_scale(np.array([5.0])))
