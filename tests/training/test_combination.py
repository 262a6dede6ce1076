"""Mixtures scored from members' paths; skill weights shrunk toward equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.simulator.plant import simulate_plant
from models.zoo.ensemble import SPREAD, mixture_counts, quantile_average, spread_paths
from training.backtest import BacktestConfig, run_backtest
from training.combination import (
    EQUAL,
    SKILL,
    add_combinations,
    mixture_forecast,
    skill_weights,
)


@pytest.fixture(scope="module")
def two_members():
    h = simulate_plant(84, seed=5, start="2010-01")
    r = run_backtest(h, ["seasonal_naive", "drift"], [2015, 2016],
                     config=BacktestConfig(n_paths=200, seed=1))
    return h, r


def test_mixture_counts_sum_to_the_paths_and_follow_weights():
    c = mixture_counts(np.array([0.5, 0.3, 0.2]), 1001)
    assert c.sum() == 1001 and list(c) == [501, 300, 200]


def test_spread_keeps_the_mean_and_scales_the_deviations():
    paths = np.random.default_rng(0).gamma(20.0, 300.0, (500, 6))
    moved = spread_paths(paths, 0.5)
    np.testing.assert_allclose(moved.mean(axis=0), paths.mean(axis=0))
    np.testing.assert_allclose(moved.std(axis=0), 0.5 * paths.std(axis=0))
    assert spread_paths(paths, 1.0) is paths


def test_quantile_average_averages_the_members_quantiles():
    rng = np.random.default_rng(1)
    a, b = rng.normal(100, 5, (2000, 3)), rng.normal(130, 15, (2000, 3))
    out = quantile_average(np.stack([a, b]), np.array([0.5, 0.5]))
    q = [0.1, 0.5, 0.9]
    expected = 0.5 * np.quantile(a.sum(1), q) + 0.5 * np.quantile(b.sum(1), q)
    np.testing.assert_allclose(np.quantile(out.sum(1), q), expected, rtol=2e-3)


def test_the_mixture_rows_come_from_the_members_own_paths(two_members):
    h, r = two_members
    out, weights = add_combinations(r, h, 3)
    mine = out.per_origin.loc[out.per_origin["model"] == EQUAL]
    assert len(mine) == 24 and (mine["status"] == "ok").all()
    as_of = mine["as_of"].iloc[5]
    members = [r.forecasts[(m, as_of)] for m in ("seasonal_naive", "drift")]
    again = mixture_forecast(members, [1.0, 1.0], EQUAL)
    np.testing.assert_array_equal(again.month_paths, out.forecasts[(EQUAL, as_of)].month_paths)
    assert set(weights) == {"seasonal_naive", "drift"}
    assert (out.per_origin["model"] == SKILL).sum() == 24


def test_the_mixture_is_what_the_ensemble_model_draws(two_members):
    # Same members, same origin: the served ensemble and the backtest mixture draw from one
    # distribution (other random numbers), so their medians agree closely.
    from models.core.year import forecast_year
    from models.zoo import make_model

    h, r = two_members
    out, _ = add_combinations(r, h, 3)
    as_of = pd.Period("2016-06", "M")
    served = forecast_year(make_model("ensemble", members=("seasonal_naive", "drift")), h,
                           as_of, n_paths=4000, seed=3)
    scored = out.forecasts[(EQUAL, str(as_of))].annual_paths
    width = np.subtract(*np.quantile(scored, [0.9, 0.1]))
    # 200 backtest paths: agreement up to their Monte Carlo error
    assert abs(np.median(served.annual_paths) - np.median(scored)) < 0.25 * width
    served_width = np.subtract(*np.quantile(served.annual_paths, [0.9, 0.1]))
    assert served_width == pytest.approx(width, rel=0.25)
    assert 0 < SPREAD < 1


def test_skill_weights_stay_near_equal_with_one_year_of_evidence(two_members):
    h, r = two_members
    one_year = r.per_origin["year"] == 2016
    from training.loyo import _subset

    out, _ = add_combinations(_subset(r, one_year), h, 3)
    w = skill_weights(out)
    assert sum(w.values()) == pytest.approx(1.0)
    # one year counts 1 / (1 + 4) of the measured skill
    assert max(w.values()) / min(w.values()) < 1.6
