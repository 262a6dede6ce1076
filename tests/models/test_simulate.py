"""The synthetic plant: calibration to Dynacor's facts, material balance, determinism."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.simulator.plant import (
    GRAMS_PER_TROY_OZ,
    PORTFOLIO_CAPACITIES_TPD,
    portfolio_seeds,
    simulate_plant,
    simulate_portfolio,
)

CONTRACT = ["gold_oz", "ore_purchased_t", "ore_processed_t", "head_grade_gpt",
            "recovery_pct", "capacity_tpd"]


@pytest.fixture(scope="module")
def plant_years() -> tuple[np.ndarray, np.ndarray]:
    """Annual totals (oz) and Q1 shares (%) of 40 seeds x 5 years at 300 tpd (200 years)."""
    annual, q1 = [], []
    for seed in range(40):
        oz = simulate_plant(60, 1000 + seed, capacity_tpd=300.0)["gold_oz"].to_numpy()
        years = oz.reshape(5, 12)
        annual.append(years.sum(axis=1))
        q1.append(100.0 * years[:, :3].sum(axis=1) / years.sum(axis=1))
    return np.concatenate(annual), np.concatenate(q1)


def test_q1_share_mostly_within_dynacor_range(plant_years):
    _, q1 = plant_years
    # Dynacor 2012-2016: 17.7-26.0 %, mean 21.9 %.
    assert np.mean((q1 >= 17.0) & (q1 <= 26.0)) >= 0.70
    assert 19.5 <= q1.mean() <= 24.0


def test_annual_output_at_300_tpd_mostly_in_band(plant_years):
    annual, _ = plant_years
    assert np.mean((annual >= 65_000) & (annual <= 95_000)) >= 0.80
    # A 300 tpd plant cannot pour more than 365 days x 300 t x ~1.3 oz/t.
    assert annual.max() < 365 * 300 * 1.3


def test_gold_is_processed_times_grade_times_recovery():
    df = simulate_plant(120, 5)
    expected = (df["ore_processed_t"] * df["head_grade_gpt"] * df["recovery_pct"] / 100.0
                / GRAMS_PER_TROY_OZ)
    np.testing.assert_allclose(df["gold_oz"], expected, rtol=1e-12)


def test_processing_capped_by_capacity_and_downtime():
    df = simulate_plant(240, 6, capacity_tpd=250.0)
    days = df.index.days_in_month.to_numpy()
    cap_t = df["capacity_tpd"] * (days - df["downtime_days"])
    assert np.all(df["ore_processed_t"] <= cap_t * (1 + 1e-12))
    assert np.all(df["downtime_days"] >= 1.0)
    assert np.all(df["ore_processed_t"] <= df["capacity_tpd"] * days)


def test_stockpile_balances_and_never_negative():
    df = simulate_plant(240, 7)
    stock = df["stockpile_t"].to_numpy()
    assert np.all(stock >= 0)
    flow = (df["ore_purchased_t"] - df["ore_processed_t"]).to_numpy()
    np.testing.assert_allclose(np.diff(stock), flow[1:], atol=1e-6)


def test_rainy_season_purchases_lower_on_average():
    df = pd.concat([simulate_plant(120, s) for s in range(10)])
    rainy = df.index.month.isin([1, 2, 3])
    assert df.loc[rainy, "ore_purchased_t"].mean() < 0.95 * df.loc[~rainy,
                                                                    "ore_purchased_t"].mean()


def test_grade_and_recovery_in_plausible_ranges():
    df = pd.concat([simulate_plant(120, s) for s in range(10)])
    assert 27.0 <= df["head_grade_gpt"].mean() <= 33.0
    assert np.mean((df["recovery_pct"] >= 92) & (df["recovery_pct"] <= 97)) >= 0.9
    assert np.all(df[CONTRACT].to_numpy() >= 0) and np.all(np.isfinite(df[CONTRACT]))


def test_same_seed_same_frame_other_seed_other_frame():
    a, b, c = simulate_plant(60, 11), simulate_plant(60, 11), simulate_plant(60, 12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["gold_oz"], c["gold_oz"])


def test_frame_format_and_synthetic_label():
    df = simulate_plant(24, 3, start="2015-07")
    assert isinstance(df.index, pd.PeriodIndex) and df.index.freqstr == "M"
    assert df.index.name == "month" and str(df.index[0]) == "2015-07" and len(df) == 24
    for col in CONTRACT:
        assert df[col].dtype == np.float64
    assert set(df["source"]) == {"synthetic (orecast.simulate, seed=3)"}
    assert df.attrs == {"source": "synthetic seed=3", "synthetic": True}


def test_capacity_schedule_doubles_output_after_ramp():
    df = simulate_plant(96, 21, start="2010-01",
                        capacity_tpd={"2010-01": 250, "2014-01": 500})
    assert (df.loc[:"2013-12", "capacity_tpd"] == 250).all()
    assert (df.loc["2014-01":, "capacity_tpd"] == 500).all()
    before = df.loc["2011":"2013", "gold_oz"].sum() / 3
    after = df.loc["2016":"2017", "gold_oz"].sum() / 2
    assert 1.6 < after / before < 2.4
    # Supply ramps up: the first months after the expansion stay well below the new rating.
    first = df.loc["2014-01":"2014-03", "ore_processed_t"].mean()
    settled = df.loc["2016-01":"2016-03", "ore_processed_t"].mean()
    assert first < 0.85 * settled


def test_capacity_as_array_and_callable_agree():
    idx = pd.period_range("2012-01", periods=36, freq="M")
    caps = np.where(idx.year >= 2013, 400.0, 200.0)
    a = simulate_plant(36, 4, start="2012-01", capacity_tpd=caps)
    b = simulate_plant(36, 4, start="2012-01",
                       capacity_tpd=lambda p: 400.0 if p.year >= 2013 else 200.0)
    pd.testing.assert_frame_equal(a, b)
    with pytest.raises(ValueError, match="capacity_tpd"):
        simulate_plant(36, 4, capacity_tpd=np.ones(10))


def test_portfolio_shape_determinism_and_plant_identity():
    a = simulate_portfolio(50, 24, seed=9)
    b = simulate_portfolio(50, 24, seed=9)
    pd.testing.assert_frame_equal(a, b)
    assert list(a.columns[:3]) == ["series_id", "timestamp", "value"]
    assert {"ore_purchased_t", "ore_processed_t"} <= set(a.columns)
    assert len(a) == 50 * 24 and a["series_id"].nunique() == 50
    assert a["timestamp"].iloc[0] == "2010-01" and a["timestamp"].iloc[23] == "2011-12"
    assert set(a["capacity_tpd"]) <= set(PORTFOLIO_CAPACITIES_TPD)
    assert a["capacity_tpd"].nunique() > 3
    # Plant i of the portfolio is the plant simulated alone from its spawned seed.
    caps, seeds = portfolio_seeds(50, 9)
    one = simulate_plant(24, seeds[17], capacity_tpd=caps[17])
    sub = a[a["series_id"] == a["series_id"].unique()[17]]
    np.testing.assert_allclose(sub["value"], one["gold_oz"], rtol=1e-12)
    assert not np.allclose(simulate_portfolio(50, 24, seed=10)["value"], a["value"])
