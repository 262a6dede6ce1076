"""Gradient boosting: optional ore, recursive paths, seasonality, scenarios, coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.pipeline import fit_model
from models.simulator.plant import simulate_plant
from models.zoo.gbm import GradientBoosting

ORE = ["ore_purchased_t", "ore_processed_t"]


def rainy_plant(months: int, seed: int) -> pd.DataFrame:
    """Ore bought with a 25% rainy-season dip and AR(1) log noise; ~0.95 oz per tonne milled."""
    rng = np.random.default_rng(seed)
    idx = pd.period_range("2008-01", periods=months, freq="M", name="month")
    rainy = np.isin(idx.month, (1, 2, 3))
    dev = np.zeros(months)
    for i in range(1, months):
        dev[i] = 0.6 * dev[i - 1] + rng.normal(0, 0.06)
    purchased = 6000.0 * np.exp(0.003 * np.arange(months)) * np.where(rainy, 0.75, 1.0) \
        * np.exp(dev)
    processed = purchased * np.exp(rng.normal(0, 0.02, months))
    gold = 0.95 * processed * np.exp(rng.normal(0, 0.04, months))
    return pd.DataFrame({"gold_oz": gold, "ore_purchased_t": purchased,
                         "ore_processed_t": processed}, index=idx)


def test_reads_ore_only_when_present_and_never_declines_for_its_absence():
    hist = rainy_plant(60, 1)
    assert GradientBoosting().fit(hist).ore_columns_ == ORE
    assert GradientBoosting(use_ore=False).fit(hist).ore_columns_ == []
    bare = fit_model(GradientBoosting(), hist.drop(columns=ORE))
    assert bare.ore_columns_ == []
    assert np.all(np.isfinite(bare.sample_paths(6, 100, 0)))
    gapped = hist.copy()
    gapped.iloc[4, 1] = np.nan
    assert GradientBoosting().fit(gapped).ore_columns_ == []


def test_learns_the_rainy_season_dip_from_ounces_alone():
    hist = rainy_plant(96, 2).drop(columns=ORE)
    m = GradientBoosting().fit(hist)
    mean = m.sample_paths(12, 2000, 0).mean(axis=0)
    rainy = np.isin(m.future_index(12).month, (1, 2, 3))
    assert mean[rainy].mean() < 0.9 * mean[~rainy].mean()


def test_more_ore_in_the_scenario_means_more_ounces():
    m = GradientBoosting().fit(rainy_plant(96, 3))
    idx = m.future_index(6)
    low = pd.DataFrame({c: 5500.0 for c in ORE}, index=idx)
    high = pd.DataFrame({c: 8500.0 for c in ORE}, index=idx)
    assert m.sample_paths(6, 1000, 0, future=high)[:, 0].mean() > \
        1.1 * m.sample_paths(6, 1000, 0, future=low)[:, 0].mean()


def test_residuals_are_out_of_sample_not_the_in_sample_fit():
    m = GradientBoosting().fit(rainy_plant(96, 4))
    # Boosting fits its own rows closely; out-of-fold errors are the honest, larger ones.
    assert m.residuals_.std() > 0.04


def test_fits_the_synthetic_plant_and_stays_near_its_recent_output():
    hist = simulate_plant(96, 12)
    paths = fit_model(GradientBoosting(), hist).sample_paths(12, 1000, 0)
    last_year = hist["gold_oz"].iloc[-12:].sum()
    assert 0.75 * last_year < paths.sum(axis=1).mean() < 1.3 * last_year


@pytest.mark.slow
def test_80pct_interval_covers_about_80pct_of_outcomes():
    hits = []
    for rep in range(20):
        full = rainy_plant(78, 500 + rep)
        paths = GradientBoosting().fit(full.iloc[:72]).sample_paths(6, 800, seed=rep)
        lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
        truth = full["gold_oz"].to_numpy()[72:]
        hits.append((truth >= lo) & (truth <= hi))
    coverage = float(np.mean(hits))
    assert 0.65 <= coverage <= 0.95, coverage


def test_a_shutdown_month_does_not_inflate_the_spread():
    hist = rainy_plant(72, 6).drop(columns=ORE)
    base_sd = GradientBoosting().fit(hist).sample_paths(6, 2000, 0).sum(axis=1).std()
    hist.iloc[40, 0] = 0.0
    annual = GradientBoosting().fit(hist).sample_paths(6, 2000, 0).sum(axis=1)
    assert annual.std() < 1.5 * base_sd
