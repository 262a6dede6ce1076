import numpy as np
import pytest

from models.kernels.smoothing import C_MAX, fit_dotm, running_trend
from models.zoo.theta import DynamicOptimisedTheta
from tests.models.series import gold_frame

frame = gold_frame


def trending(n=60, slope=12.0, noise=20.0, seed=0):
    rng = np.random.default_rng(seed)
    return 1000.0 + slope * np.arange(n) + noise * rng.standard_normal(n)


def reference_sse(y, alpha, c, l0):
    """One-step squared errors of DOTM written out from the paper's equations, t >= 3."""
    level, sse = l0, 0.0
    for t in range(1, y.size + 1):
        if t > 2:
            tt = np.arange(1, t)
            b, a = np.polyfit(tt, y[:t - 1], 1)
            mu = level + c * ((1 - alpha) ** (t - 1) * a + (1 - (1 - alpha) ** t) / alpha * b)
            sse += (y[t - 1] - mu) ** 2
        level = alpha * y[t - 1] + (1 - alpha) * level
    return sse


def test_running_trend_is_the_ols_line_of_each_prefix():
    y = trending(30)
    a, b = running_trend(y)
    for t in (2, 5, 17, 30):
        slope, intercept = np.polyfit(np.arange(1, t + 1), y[:t], 1)
        assert b[t - 1] == pytest.approx(slope, rel=1e-9)
        assert a[t - 1] == pytest.approx(intercept, rel=1e-9)


def test_fit_is_no_worse_than_any_point_of_a_grid_of_the_paper_recursion():
    y = trending(40, noise=30.0, seed=3)
    alpha, c, _, e = fit_dotm(y)
    assert 0.0 <= c <= C_MAX and 0.0 < alpha < 1.0
    best_grid = min(reference_sse(y, al, cc, l0)
                    for al in (0.1, 0.3, 0.5, 0.7, 0.9)
                    for cc in (0.0, 0.25, 0.5, 0.75, 0.9)
                    for l0 in (y[0], y[:12].mean()))
    assert float(e @ e) <= best_grid * (1 + 1e-9)


def test_a_strong_trend_is_extrapolated_and_theta_exceeds_one():
    y = trending(72, slope=15.0, noise=10.0, seed=1)
    model = DynamicOptimisedTheta(season_length=12).fit(frame(y))
    assert model.theta_ > 1.0
    truth = 1000.0 + 15.0 * np.arange(72, 90)
    np.testing.assert_allclose(model.point_forecast(18), truth, rtol=0.03)
    # a flat forecast (theta = 1, SES) would miss the last month by far more
    assert abs(model.point_forecast(18)[-1] - truth[-1]) < 0.5 * 15.0 * 18


def test_paths_are_centred_on_the_point():
    model = DynamicOptimisedTheta().fit(frame(trending(60)))
    a = model.sample_paths(12, 4000, seed=5)
    np.testing.assert_allclose(a.mean(axis=0), model.point_forecast(12), rtol=0.01)
