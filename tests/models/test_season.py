"""The seasonal profile of the level-carrying members: from months, else quarterly totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.pipeline import fit_model
from models.simulator.plant import PURCHASE_SEASONALITY, simulate_plant
from models.simulator.reporting import as_published
from models.zoo import make_model
from models.zoo.season import calendar_profile

#: a December well above the year's mean, a rainy-season January-March well below it
PROFILE = np.array([0.70, 0.75, 0.85, 1.00, 1.05, 1.08, 1.10, 1.10, 1.08, 1.07, 1.10, 1.12])
PROFILE = PROFILE / PROFILE.mean()


def steady_plant(years: int = 4) -> pd.DataFrame:
    """A flat 1,000 oz/month plant times PROFILE, January start, small noise (oz)."""
    idx = pd.period_range("2014-01", periods=12 * years, freq="M", name="month")
    noise = np.exp(0.01 * np.random.default_rng(0).standard_normal(idx.size))
    return pd.DataFrame({"gold_oz": 1000.0 * PROFILE[idx.month - 1] * noise}, index=idx)


@pytest.fixture(scope="module")
def published_plant() -> tuple[pd.DataFrame, pd.DataFrame]:
    plant = simulate_plant(96, seed=4242, start="2010-01")
    return as_published(plant)


def test_profile_comes_from_months_when_they_suffice():
    profile, source = calendar_profile(steady_plant())
    assert source == "months"
    np.testing.assert_allclose(profile, PROFILE, atol=0.02)


def test_profile_comes_from_quarterly_totals_of_a_plant_with_few_months(published_plant):
    history, periods = published_plant
    assert calendar_profile(history)[1] == "none"  # 20 months with a gap: no ratios
    profile, source = calendar_profile(history, periods)
    assert source == "quarters"
    assert profile.mean() == pytest.approx(1.0)
    np.testing.assert_allclose(profile[0:3], profile[0])  # a quarter's months share its index
    season = PURCHASE_SEASONALITY.reshape(4, 3).mean(axis=1)
    assert profile[0] < 1.0 < profile[-1]
    assert np.argmin(profile[::3]) == np.argmin(season)


def test_no_profile_for_zero_months():
    plant = steady_plant()
    plant.iloc[5, 0] = 0.0
    profile, source = calendar_profile(plant)
    assert source == "none" and np.all(profile == 1.0)


@pytest.mark.parametrize("name", ["naive", "drift", "ses", "theta_ses", "damped", "dotm",
                                  "theta", "damped_mapa"])
def test_a_december_origin_forecasts_the_year_not_twelve_decembers(name):
    history = steady_plant()
    model = fit_model(make_model(name), history)
    total = model.sample_paths(12, 2000, seed=1).sum(axis=1).mean()
    # 12 months at December's level would be 12 * 1.12 / 1.00 = 13,400 oz.
    assert total == pytest.approx(12_000.0, rel=0.03)


@pytest.mark.parametrize("name", ["naive", "ses", "theta_ses", "damped", "dotm", "theta"])
def test_members_read_the_profile_from_quarterly_totals(name, published_plant):
    history, periods = published_plant

    def q1_over_q4(periods: pd.DataFrame | None) -> float:
        model = fit_model(make_model(name), history, periods=periods)
        months = model.sample_paths(12, 2000, seed=1).mean(axis=0)
        return float(months[:3].mean() / months[9:].mean())

    # The rainy-season dip (simulated purchases in Q1 about 0.82 of Q4's) comes from the quarters:
    # without them the 20 published months give no profile and the year is flat.
    assert q1_over_q4(periods) < 0.9
    assert q1_over_q4(None) > 0.95
