import numpy as np
import pytest

from models.kernels.smoothing import LEVELS, block_means, fit_damped
from models.zoo.smoothing import Damped, DampedMAPA
from tests.models.series import gold_frame

H = 18


def level_and_noise(n: int, seed: int) -> np.ndarray:
    """A slowly wandering level under heavy month-to-month noise (oz)."""
    rng = np.random.default_rng(seed)
    level = 1000.0 + np.cumsum(rng.normal(0.0, 10.0, n + H))
    return level + rng.normal(0.0, 120.0, n + H)


def test_blocks_end_at_the_last_month_and_drop_the_oldest_remainder():
    y = np.arange(1.0, 11.0)  # 10 months, blocks of 4: [3..6], [7..10]
    np.testing.assert_allclose(block_means(y, 4), [4.5, 8.5])
    np.testing.assert_allclose(block_means(y, 1), y)


def test_levels_with_fewer_than_four_blocks_are_left_out():
    fitted = DampedMAPA().fit(gold_frame(level_and_noise(30, 0)[:30]))
    assert [k for k, *_ in fitted.levels_] == [1, 2, 3, 4, 6]  # 30 // 12 = 2 blocks
    fitted = DampedMAPA().fit(gold_frame(level_and_noise(48, 0)[:48]))
    assert [k for k, *_ in fitted.levels_] == list(LEVELS)


def test_point_forecast_is_the_mean_of_the_levels_forecasts():
    y = level_and_noise(60, 1)[:60]
    fitted = DampedMAPA().fit(gold_frame(y))
    season = fitted.season_  # by position; shrunk close to 1 on this unseasonal series
    adjusted = y / season[np.arange(60) % 12]
    expected = []
    for k in LEVELS:
        (_, _, phi), level, trend, _ = fit_damped(block_means(adjusted, k))
        steps = -(-H // k)
        block = level + np.cumsum(phi ** np.arange(1, steps + 1)) * trend
        expected.append(np.repeat(block, k)[:H])
    np.testing.assert_allclose(fitted.point_forecast(H),
                               np.mean(expected, axis=0) * season[(60 + np.arange(H)) % 12],
                               rtol=1e-9)


def test_seasonal_pattern_is_carried_into_the_forecast():
    t = np.arange(72)
    season = 1 + 0.4 * np.sin(2 * np.pi * t / 12)
    y = level_and_noise(72, 2)[:72] * season
    fitted = DampedMAPA().fit(gold_frame(y))
    assert fitted.seasonal_
    point = fitted.point_forecast(12)
    future = 1 + 0.4 * np.sin(2 * np.pi * np.arange(72, 84) / 12)
    assert np.corrcoef(point, future)[0, 1] > 0.95


def test_paths_are_the_monthly_models_spread_around_the_combined_forecast():
    y = level_and_noise(60, 3)[:60]
    mapa = DampedMAPA().fit(gold_frame(y))
    monthly = Damped().fit(gold_frame(y))
    a = mapa.sample_paths(H, 400, seed=7)
    b = monthly.sample_paths(H, 400, seed=7)
    np.testing.assert_allclose(a - mapa.point_forecast(H), b - monthly.point_forecast(H),
                               atol=1e-8)


def trend_and_swings(n: int, seed: int) -> np.ndarray:
    """A steady trend (2 oz a month) under autocorrelated swings, AR(1) with phi 0.6 (oz)."""
    rng = np.random.default_rng(seed)
    swing = np.zeros(n)
    for i in range(1, n):
        swing[i] = 0.6 * swing[i - 1] + rng.normal(0.0, 60.0)
    return 1000.0 + 2.0 * np.arange(n) + swing


@pytest.mark.parametrize("seed", range(3))
def test_beats_the_monthly_damped_trend_when_swings_hide_the_trend(seed):
    """The monthly fit chases the last swing; block means average it out (MAE, 18 months)."""
    errors = {"mapa": [], "monthly": []}
    for i in range(40):
        y = trend_and_swings(48 + H, 100 * seed + i)
        train, test = y[:-H], y[-H:]
        for name, cls in (("mapa", DampedMAPA), ("monthly", Damped)):
            point = cls().fit(gold_frame(train)).point_forecast(H)
            errors[name].append(np.mean(np.abs(point - test)))
    assert np.mean(errors["mapa"]) < 0.95 * np.mean(errors["monthly"])
