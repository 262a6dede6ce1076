"""SARIMAX on ore tonnes: exogenous columns, scenarios, joint simulation of ore, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.calendar import month_of_year
from models.core.errors import DataValidationError
from models.core.pipeline import fit_model
from models.kernels.ar import SeasonalLogVar
from models.simulator.plant import simulate_plant
from models.zoo.sarimax import SarimaxExog

RAINY_FACTOR = 0.75


def ore_plant(months: int, seed: int) -> pd.DataFrame:
    """Ore bought with a rainy-season dip and AR(1) log noise; ounces ~ 0.95 oz per tonne milled."""
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2008-01", periods=months, freq="M", name="month")
    rainy = np.isin(idx.month, (1, 2, 3))
    dev = np.zeros(months)
    for i in range(1, months):
        dev[i] = 0.6 * dev[i - 1] + rng.normal(0, 0.08)
    purchased = 6000.0 * np.exp(0.003 * np.arange(months)) * np.where(
        rainy, RAINY_FACTOR, 1.0) * np.exp(dev)
    processed = purchased * np.exp(rng.normal(0, 0.02, months))
    gold = 0.95 * processed * np.exp(rng.normal(0, 0.04, months))
    return pd.DataFrame({"gold_oz": gold, "ore_purchased_t": purchased,
                         "ore_processed_t": processed}, index=idx)


def scenario(model: SarimaxExog, horizon: int, **tonnes: float) -> pd.DataFrame:
    """Constant scenario tonnes for the ``horizon`` months after the model's last month."""
    return pd.DataFrame(tonnes, index=model.future_index(horizon))


def test_uses_processed_tonnes_only_when_complete():
    hist = ore_plant(48, 1)
    assert SarimaxExog().fit(hist).exog_columns_ == ["ore_purchased_t", "ore_processed_t"]
    hist.iloc[5, hist.columns.get_loc("ore_processed_t")] = np.nan
    assert SarimaxExog().fit(hist).exog_columns_ == ["ore_purchased_t"]


def test_more_ore_in_the_scenario_means_more_ounces():
    m = SarimaxExog().fit(ore_plant(60, 2))
    low = m.sample_paths(6, 1000, 0, future=scenario(m, 6, ore_purchased_t=5000.0,
                                                     ore_processed_t=5000.0))
    high = m.sample_paths(6, 1000, 0, future=scenario(m, 6, ore_purchased_t=9000.0,
                                                      ore_processed_t=9000.0))
    ratio = high.mean(axis=0) / low.mean(axis=0)
    # About 0.95 oz per tonne: ounces scale with tonnes, so the ratio is near 9000 / 5000.
    assert np.all(ratio > 1.5) and np.all(ratio < 2.1)


def test_partial_scenario_moves_the_other_ore_column_with_it():
    m = SarimaxExog().fit(ore_plant(60, 2))
    low = m.sample_paths(6, 1000, 0, future=scenario(m, 6, ore_purchased_t=5000.0))
    high = m.sample_paths(6, 1000, 0, future=scenario(m, 6, ore_purchased_t=9000.0))
    assert np.all(high.mean(axis=0) > 1.4 * low.mean(axis=0))


def test_unknown_ore_adds_uncertainty_to_the_ounces():
    m = SarimaxExog().fit(ore_plant(60, 3))
    joint = m.sample_paths(12, 2000, 0).sum(axis=1)
    typical = float(m.exog_model_.simulate(month_of_year(m.future_index(12)), 2000,
                                           np.random.default_rng(0)).mean())
    fixed = m.sample_paths(12, 2000, 0, future=scenario(
        m, 12, ore_purchased_t=typical, ore_processed_t=typical)).sum(axis=1)
    assert joint.std() > 1.3 * fixed.std()


def test_negative_scenario_tonnes_are_rejected():
    m = SarimaxExog().fit(ore_plant(48, 4))
    with pytest.raises(DataValidationError, match="ore_purchased_t"):
        m.sample_paths(3, 10, 0, future=scenario(m, 3, ore_purchased_t=-1.0))


def test_scenario_for_other_months_is_rejected_not_ignored():
    m = SarimaxExog().fit(ore_plant(48, 4))
    stale = pd.DataFrame({"ore_purchased_t": [8000.0]},
                         index=pd.PeriodIndex(["2001-01"], freq="M", name="month"))
    with pytest.raises(DataValidationError, match="month"):
        m.sample_paths(3, 10, 0, future=stale)


def test_scenario_indexed_by_month_strings_is_read():
    m = SarimaxExog().fit(ore_plant(48, 4))
    months = [str(p) for p in m.future_index(3)]
    low = pd.DataFrame({"ore_purchased_t": 4000.0, "ore_processed_t": 4000.0}, index=months)
    high = pd.DataFrame({"ore_purchased_t": 9000.0, "ore_processed_t": 9000.0}, index=months)
    assert (m.sample_paths(3, 200, 0, future=high).mean()
            > 1.5 * m.sample_paths(3, 200, 0, future=low).mean())


def test_ore_var_conditions_the_free_column_on_the_given_one():
    hist = ore_plant(72, 5)
    var = SeasonalLogVar().fit(hist, ["ore_purchased_t", "ore_processed_t"])
    months = month_of_year(pd.period_range("2014-01", periods=4, freq="M"))
    known = np.array([[7000.0, np.nan]] * 4)
    sims = var.simulate(months, 2000, np.random.default_rng(0), known)
    assert np.all(sims[:, :, 0] == 7000.0)
    # Processed follows purchases within a few percent in this plant.
    assert np.median(sims[:, :, 1]) == pytest.approx(7000.0, rel=0.05)


def test_rainy_season_comes_through_the_simulated_ore():
    m = SarimaxExog().fit(ore_plant(72, 6))
    mean = m.sample_paths(12, 2000, 0).mean(axis=0)
    rainy = np.isin(m.future_index(12).month, (1, 2, 3))
    assert mean[rainy].mean() < 0.9 * mean[~rainy].mean()


def test_fits_the_synthetic_plant_and_stays_near_its_recent_output():
    hist = simulate_plant(96, 11)
    paths = fit_model(SarimaxExog(), hist).sample_paths(12, 1000, 0)
    last_year = hist["gold_oz"].iloc[-12:].sum()
    assert 0.75 * last_year < paths.sum(axis=1).mean() < 1.3 * last_year


@pytest.mark.slow
def test_80pct_interval_covers_about_80pct_of_outcomes():
    hits = []
    for rep in range(24):
        full = ore_plant(66, 400 + rep)
        paths = SarimaxExog().fit(full.iloc[:60]).sample_paths(6, 800, seed=rep)
        lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
        truth = full["gold_oz"].to_numpy()[60:]
        hits.append((truth >= lo) & (truth <= hi))
    coverage = float(np.mean(hits))
    assert 0.65 <= coverage <= 0.93, coverage
