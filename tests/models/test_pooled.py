import numpy as np
import pytest

from models.core.errors import ModelDeclined
from models.kernels.seasonal import mean_abs_difference
from models.zoo.pooled import PooledWindows, describe

H = 6


def panel(n_series=60, months=72, seed=0):
    """Seasonal series sharing one shape, each with its own level, trend and noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(months)
    shape = 1 + 0.3 * np.sin(2 * np.pi * t / 12)
    out = []
    for _ in range(n_series):
        level = rng.uniform(100, 5000)
        trend = 1 + rng.uniform(-0.004, 0.008) * t
        out.append(level * shape * trend * (1 + 0.08 * rng.standard_normal(months)))
    return out


def small(**kw):
    return PooledWindows(horizon=H, min_series=20, max_iter=60, learning_rate=0.1, **kw)


def test_forecasts_beat_seasonal_naive_on_months_it_has_not_seen():
    series = panel()
    fitted = small().fit([y[:-H] for y in series])
    points = fitted.predict_panel([y[:-H] for y in series])
    scales = [mean_abs_difference(y[:-H], 12) for y in series]
    pooled_err = np.mean([np.abs(p - y[-H:]).mean() / s
                          for p, y, s in zip(points, series, scales, strict=True)])
    snaive_err = np.mean([np.abs(y[-H - 12:-12] - y[-H:]).mean() / s
                          for y, s in zip(series, scales, strict=True)])
    assert all(p.shape == (H,) and np.all(np.isfinite(p)) and np.all(p >= 0) for p in points)
    assert pooled_err < 0.9 * snaive_err  # 0.83 here


def test_same_panel_and_seed_give_identical_forecasts():
    series = panel(30, seed=3)
    a = small().fit(series).predict_panel(series)
    b = small().fit(series).predict_panel(series)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_fitting_in_two_processes_gives_the_same_forecasts_and_reports_each_month_ahead():
    series = panel(30, seed=4)
    ticks: list[int] = []
    a = small().fit(series, n_jobs=2, progress=ticks.append).predict_panel(series)
    b = small().fit(series).predict_panel(series)
    assert ticks == [1] * H
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_too_few_series_declines():
    with pytest.raises(ModelDeclined, match="19 series"):
        small().fit(panel(19))


def test_a_large_panel_is_subsampled_to_max_windows():
    fitted = small(max_windows=500).fit(panel(40))
    assert fitted.n_windows_ == 500 and fitted.n_series_ >= 20


def test_series_it_cannot_describe_get_none_and_never_a_number():
    fitted = small().fit(panel(30))
    good = panel(1, seed=9)[0]
    gap = good.copy()
    gap[-3] = np.nan
    out = fitted.predict_panel([good, good[:20], gap, np.full(48, 7.0)])
    assert out[0] is not None and out[1:] == [None, None, None]


def test_windows_with_a_missing_month_are_left_out_of_training():
    series = panel(25)
    for y in series[:5]:
        y[30] = np.nan
    clean = small().fit(panel(25))
    holed = small().fit(series)
    assert holed.n_windows_ < clean.n_windows_


def test_describe_scales_by_level_and_seasonal_difference():
    y = np.arange(1.0, 37.0)  # seasonal difference is 12 everywhere
    x, level, scale = describe(y, 24, 12)
    assert scale == 12.0 and level == pytest.approx(np.mean(y[-12:]))
    np.testing.assert_allclose(x, (y[-24:] - level) / 12.0)
