"""The metallurgical model: calibrated intervals on the synthetic plant, scenarios, modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError
from models.simulator.plant import simulate_plant
from models.zoo import make_model
from models.zoo.metallurgical import Metallurgical, fit_ar1

STANDARD = ["gold_oz", "ore_purchased_t", "ore_processed_t", "head_grade_gpt",
            "recovery_pct", "capacity_tpd"]


def _coverage(drop: tuple[str, ...], n_seeds: int = 60) -> tuple[float, int, int]:
    """Share of seeds whose next-12-month total lies in the 80 % interval, and misses low/high."""
    hits = low = high = 0
    for seed in range(n_seeds):
        df = simulate_plant(72, 500 + seed)[STANDARD].drop(columns=list(drop))
        model = Metallurgical().fit(df.iloc[:60])
        total = model.sample_paths(12, 500, seed).sum(axis=1)
        truth = df["gold_oz"].iloc[60:].sum()
        lo, hi = np.quantile(total, [0.10, 0.90])
        hits += lo <= truth <= hi
        low += truth < lo
        high += truth > hi
    return hits / n_seeds, low, high


@pytest.mark.parametrize("drop", [(), ("head_grade_gpt", "recovery_pct")],
                         ids=["grade_recovery", "yield"])
def test_80pct_interval_of_next_year_covers_truth_near_nominal(drop):
    rate, low, high = _coverage(drop)
    assert 0.60 <= rate <= 0.97
    # Misses on both sides, not a biased centre (nominal 6 of 60 each side).
    assert low <= 14 and high <= 14


def test_fit_recovers_simulated_plant_parameters():
    df = simulate_plant(240, 8, grade_mean_gpt=25.0)
    model = Metallurgical().fit(df[STANDARD])
    assert model.mode_ == "grade_recovery" and model.feed_ == "ore_purchased_t"
    assert 23.0 < np.exp(model.grade_ar_.mu) < 27.0
    rec = 100 / (1 + np.exp(-model.recovery_ar_.mu))
    assert 93.5 < rec < 95.5
    # Rainy months buy less: January-March below the rest in the fitted profile.
    assert model.season_[:3].mean() < model.season_[4:].mean() - 0.1
    assert model.stockpile_t_ >= 0 and model.capacity_tpd_ == 300.0


def test_scenario_purchases_raise_ounces_until_capacity_binds():
    df = simulate_plant(60, 13)
    model = Metallurgical().fit(df[STANDARD])
    idx = model.future_index(12)

    def total(tonnes: float) -> float:
        fut = pd.DataFrame({"ore_purchased_t": tonnes}, index=idx)
        return float(model.sample_paths(12, 400, seed=1, future=fut).sum(axis=1).mean())

    assert total(4000.0) < total(6000.0) < total(8000.0)
    # Past what the mill can take, more ore changes nothing.
    assert total(50_000.0) == total(100_000.0)
    days = idx.days_in_month.to_numpy()
    mill_cap = 300.0 * (days - 2.0) * model.utilisation_max_
    fut = pd.DataFrame({"ore_purchased_t": 100_000.0}, index=idx.strftime("%Y-%m"))
    paths = model.sample_paths(12, 400, seed=1, future=fut)
    oz_per_t = df["gold_oz"] / df["ore_processed_t"]
    assert np.all(paths.mean(axis=0) <= mill_cap * oz_per_t.max())


def test_scenario_rejects_negative_tonnes():
    model = Metallurgical().fit(simulate_plant(36, 2)[STANDARD])
    fut = pd.DataFrame({"ore_purchased_t": -5.0}, index=model.future_index(3))
    with pytest.raises(DataValidationError, match="ore_purchased_t"):
        model.sample_paths(3, 10, seed=0, future=fut)


def test_yield_mode_with_only_gold_and_milled_tonnes():
    df = simulate_plant(48, 31)[["gold_oz", "ore_processed_t"]]
    model = Metallurgical().fit(df)
    assert model.mode_ == "yield" and model.feed_ == "ore_processed_t"
    assert model.capacity_source_ == "inferred"
    yield_oz_t = np.exp(model.yield_ar_.mu)
    assert 0.8 < yield_oz_t < 1.0  # ~30 g/t x 94.5 % / 31.1035
    paths = model.sample_paths(12, 300, seed=2)
    assert np.all(np.isfinite(paths)) and np.all(paths >= 0)
    best_month = (df["ore_processed_t"] / (df.index.days_in_month - 2.0)).max()
    assert paths.max() <= best_month * 31 * df["gold_oz"].div(df["ore_processed_t"]).max() * 2


def test_params_only_stored_and_zoo_builds_it():
    model = make_model("metallurgical", downtime_days=3.0, yield_ar=False)
    assert isinstance(model, Metallurgical)
    model.fit(simulate_plant(36, 5)[STANDARD])
    assert model.grade_ar_.phi == 0.0


def test_fit_ar1_recovers_persistence():
    rng = np.random.default_rng(0)
    x = np.zeros(2000)
    for t in range(1, x.size):
        x[t] = 0.7 * x[t - 1] + rng.standard_normal()
    p = fit_ar1(x + 5.0)
    assert abs(p.phi - 0.7) < 0.05 and abs(p.mu - 5.0) < 0.2
    assert abs(np.std(p.resid) - 1.0) < 0.05
