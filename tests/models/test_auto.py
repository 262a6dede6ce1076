from functools import partial

import numpy as np
import pytest

from models.core.errors import ModelDeclined
from models.zoo import make_model
from models.zoo.auto import Auto
from tests.models.series import gold_frame

FAST = ("theta_ses", "damped", "ses")


frame = partial(gold_frame, start="2012-01")


def series(n=72, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    season = 1.0 + 0.2 * np.cos(2 * np.pi * t / 12)
    return (5000 + 20 * t) * season * np.exp(0.05 * rng.standard_normal(n))


@pytest.mark.parametrize("combine", ["median", "mean"])
def test_point_forecast_combines_the_members(combine):
    h = frame(series())
    auto = Auto(members=FAST, combine=combine).fit(h)
    points = np.vstack([make_model(n, season_length=12).fit(h).point_forecast(18) for n in FAST])
    expected = np.median(points, axis=0) if combine == "median" else points.mean(axis=0)
    np.testing.assert_allclose(auto.point_forecast(18), expected)


def test_default_members_are_the_six_chosen_with_analytic_points():
    h = frame(series(48))
    auto = Auto().fit(h)
    assert [m.name for m in auto.fitted_] == ["theta_ses", "damped", "ets", "theta", "dotm",
                                              "damped_mapa"]
    points = np.vstack([m.point_forecast(6) for m in auto.fitted_])
    np.testing.assert_allclose(auto.point_forecast(6), points.mean(axis=0))


def test_a_member_without_analytic_point_gives_its_fixed_seed_path_mean():
    h = frame(series(48))
    auto = Auto(members=("theta_ses", "drift")).fit(h)
    drift = auto.fitted_[1]
    assert drift.point_forecast(6) is None
    expected = (auto.fitted_[0].point_forecast(6) + drift.sample_paths(6, 200, seed=1).mean(0)) / 2
    np.testing.assert_allclose(auto.point_forecast(6), expected)


def test_paths_are_deterministic_nonnegative_and_spread_around_the_point():
    auto = Auto(members=FAST).fit(frame(series()))
    a = auto.sample_paths(12, 3000, seed=11)
    np.testing.assert_array_equal(a, auto.sample_paths(12, 3000, seed=11))
    assert not np.array_equal(a, auto.sample_paths(12, 3000, seed=12))
    assert a.shape == (3000, 12) and np.all(a >= 0) and np.all(np.isfinite(a))
    point = auto.point_forecast(12)
    lo, hi = np.quantile(a, [0.1, 0.9], axis=0)
    assert np.all(lo < point) and np.all(point < hi)
    # The spread grows with the horizon, as each member's own does.
    assert (hi - lo)[-1] > (hi - lo)[0]


def test_a_member_that_declines_is_left_out():
    auto = Auto(members=("theta_ses", "seasonal_naive")).fit(frame(series(15)))
    assert [m.name for m in auto.fitted_] == ["theta_ses"]
    assert "seasonal_naive" in auto.failed_


def test_auto_fails_when_every_member_fails():
    with pytest.raises(ModelDeclined, match="auto: no member could be fitted"):
        Auto(members=("seasonal_naive",)).fit(frame(series(15)))


def test_unknown_combination_is_refused():
    with pytest.raises(ValueError, match="combine"):
        Auto(members=FAST, combine="vote").fit(frame(series()))


def test_a_pooled_forecast_takes_its_weight_and_moves_the_paths_with_the_point():
    h = frame(series())
    alone = Auto(members=FAST).fit(h)
    pooled = np.linspace(4000.0, 9000.0, 12)
    both = Auto(members=FAST).fit(h).use_pooled(pooled)
    expected = 2 / 3 * alone.point_forecast(12) + 1 / 3 * pooled
    np.testing.assert_allclose(both.point_forecast(12), expected)
    # Same member deviations, centred on the new point.
    shift = both.sample_paths(12, 300, seed=5) - alone.sample_paths(12, 300, seed=5)
    np.testing.assert_allclose(shift, np.broadcast_to(expected - alone.point_forecast(12),
                                                      shift.shape), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(Auto(members=FAST, pooled_weight=0.0).fit(h)
                               .use_pooled(pooled).point_forecast(12), alone.point_forecast(12))


def test_a_pooled_forecast_shorter_than_the_horizon_or_a_bad_weight_is_refused():
    h = frame(series())
    with pytest.raises(ValueError, match="covers 6 months, 12 asked"):
        Auto(members=FAST).fit(h).use_pooled(np.ones(6)).point_forecast(12)
    with pytest.raises(ValueError, match="pooled_weight"):
        Auto(members=FAST, pooled_weight=1.5).fit(h)
