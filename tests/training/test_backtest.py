"""Rolling-origin backtests: origins, scores, determinism, parallelism and leakage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.core.year import forecast_year
from models.data.periods import annual_totals
from models.data.tables import (
    load_guidance,
    load_periods,
    load_production,
    periods_from_table,
    table_from_bytes,
)
from models.simulator.plant import simulate_plant
from models.zoo import make_model
from training import metrics
from training.backtest import BacktestConfig, origins_for, run_backtest, task_seed
from training.scoring import PER_ORIGIN_COLUMNS

DYNACOR = Path(__file__).resolve().parents[2] / "models" / "data" / "datasets" / "dynacor"
FORECAST_COLUMNS = ["status", "reason", "annual_mean", "annual_p05", "annual_p10", "annual_p25",
                    "annual_p50", "annual_p75", "annual_p90", "annual_p95"]


def plant(months: int = 48, seed: int = 11) -> pd.DataFrame:
    """Synthetic production from 2010-01, only the columns a production file would hold."""
    return simulate_plant(months, seed)[["gold_oz", "ore_purchased_t", "ore_processed_t"]]


GUIDANCE = pd.DataFrame({
    "year": [2013, 2013],
    "low_oz": [70_000.0, 80_000.0],
    "high_oz": [76_000.0, 84_000.0],
    "announced": pd.to_datetime(["2013-01-20", "2013-07-10"]),
})


@pytest.fixture(scope="module")
def result():
    return run_backtest(plant(), ["seasonal_naive"], [2013], guidance=GUIDANCE,
                        config=BacktestConfig(n_paths=400, seed=3))


def test_origins_run_from_december_before_to_november():
    origins = origins_for([2013], plant())
    assert [str(o) for o in origins] == ["2012-12"] + [f"2013-{m:02d}" for m in range(1, 12)]


def test_origins_skip_years_without_actuals_or_beyond_data():
    h = plant(42)  # ends 2013-06: the 2013 total is not known
    assert origins_for([2013], h) == []
    assert origins_for([2013], h, annual_actuals={2013: 70_000.0})[-1] == pd.Period("2013-06", "M")
    # Dec 2009 lies before the data: only that origin of 2010 is dropped.
    assert origins_for([2010], h)[0] == pd.Period("2010-01", "M")
    assert len(origins_for([2010], h)) == 11


def test_origins_after_a_gap_in_the_target_year_are_skipped_with_reason():
    h = plant()
    h.loc[pd.Period("2013-05", "M"), "gold_oz"] = np.nan
    r = run_backtest(h, ["seasonal_naive"], [2013], annual_actuals={2013: 80_000.0},
                     config=BacktestConfig(n_paths=50))
    assert sorted(r.per_origin["months_known"].unique()) == [0, 1, 2, 3, 4]
    assert set(r.skipped["as_of"]) == {f"2013-{m:02d}" for m in range(5, 12)}
    assert r.skipped["reason"].str.contains("2013-05").all()
    assert (r.per_origin["annual_actual_oz"] == 80_000.0).all()


def test_per_origin_has_one_row_per_model_and_origin_plus_guidance(result):
    df = result.per_origin
    assert list(df.columns) == PER_ORIGIN_COLUMNS
    assert df.groupby("model").size().to_dict() == {"seasonal_naive": 12, "guidance": 12}
    assert sorted(df["months_known"].unique()) == list(range(12))
    ok = df.loc[df["model"] == "seasonal_naive"]
    assert (ok["status"] == "ok").all()


def test_rows_reproduce_forecast_year_with_the_task_seed(result):
    h = plant()
    row = result.per_origin.query("model == 'seasonal_naive' and as_of == '2013-04'").iloc[0]
    as_of = pd.Period("2013-04", "M")
    yf = forecast_year(make_model("seasonal_naive"), h, as_of, 2013, n_paths=400,
                       seed=task_seed(3, "seasonal_naive", as_of))
    annual = yf.annual_paths
    actual = float(h.loc["2013-01":"2013-12", "gold_oz"].sum())
    assert row["annual_actual_oz"] == pytest.approx(actual)
    assert row["annual_p50"] == pytest.approx(np.median(annual))
    assert row["annual_ape"] == pytest.approx(100 * abs(np.median(annual) - actual) / actual)
    assert row["annual_crps"] == pytest.approx(metrics.crps_from_samples(annual, actual))
    lo, hi = np.quantile(annual, [0.1, 0.9])
    assert bool(row["annual_cover80"]) == bool(lo <= actual <= hi)
    # Monthly scores over May-Jul (fixed h = 3) with the path median as point.
    obs = h.loc["2013-05":"2013-07", "gold_oz"].to_numpy()
    point = np.median(yf.month_paths[:, 4:7], axis=0)
    assert row["monthly_n"] == 3
    assert row["monthly_mae"] == pytest.approx(np.mean(np.abs(point - obs)))
    scale = metrics.mase_scale(h.loc[:"2013-04", "gold_oz"].to_numpy())
    assert row["monthly_mase"] == pytest.approx(row["monthly_mae"] / scale)


def test_monthly_horizon_is_capped_at_december(result):
    df = result.per_origin.set_index(["model", "as_of"])
    assert df.loc[("seasonal_naive", "2013-11"), "monthly_n"] == 1
    assert df.loc[("seasonal_naive", "2013-10"), "monthly_n"] == 2
    assert df.loc[("seasonal_naive", "2012-12"), "monthly_n"] == 3


def test_annual_error_shrinks_as_the_year_becomes_known(result):
    s = result.summary.set_index(["model", "months_known"])
    early = s.loc[("seasonal_naive", 0), "annual_crps"]
    late = s.loc[("seasonal_naive", 11), "annual_crps"]
    assert late < early


def test_guidance_rows_score_the_range_in_force(result):
    g = result.per_origin.loc[result.per_origin["model"] == "guidance"].set_index("as_of")
    actual = g["annual_actual_oz"].iloc[0]
    assert g.loc["2012-12", "status"] == "declined"
    assert np.isnan(g.loc["2012-12", "annual_crps"])
    jan, aug = g.loc["2013-01"], g.loc["2013-07"]
    assert jan["annual_p50"] == 73_000.0 and aug["annual_p50"] == 82_000.0
    assert jan["annual_crps"] == pytest.approx(metrics.crps_uniform(70_000, 76_000, actual))
    inside = 80_000 <= actual <= 84_000
    assert all(bool(aug[f"annual_cover{lv}"]) == inside for lv in (50, 80, 90))
    assert np.isnan(aug["monthly_mae"])


def test_models_that_cannot_fit_are_declined_rows_not_errors():
    # 2010 origins see 1..11 months: too few for seasonal naive (24), enough for drift from 12
    # only at the last one.
    r = run_backtest(plant(24), ["seasonal_naive", "drift"], [2010],
                     config=BacktestConfig(n_paths=50))
    sn = r.per_origin.loc[r.per_origin["model"] == "seasonal_naive"]
    assert len(sn) == 11 and (sn["status"] == "declined").all()
    assert sn["reason"].str.contains("at least 24").all()
    assert np.isnan(sn["annual_crps"]).all()
    drift = r.per_origin.loc[r.per_origin["model"] == "drift"].set_index("as_of")["status"]
    assert drift["2010-10"] == "declined" and drift["2010-11"] == "declined"
    s = r.summary.set_index(["model", "months_known"])
    assert s.loc[("seasonal_naive", 5), "n_declined"] == 1
    assert s.loc[("seasonal_naive", 5), "n_origins"] == 0


def test_same_seed_same_numbers_and_task_order_does_not_matter():
    h = plant()
    a = run_backtest(h, ["seasonal_naive", "drift"], [2013],
                     config=BacktestConfig(n_paths=100, seed=5))
    b = run_backtest(h, ["drift", "seasonal_naive"], [2013],
                     config=BacktestConfig(n_paths=100, seed=5))
    key = ["model", "as_of"]
    pd.testing.assert_frame_equal(a.per_origin.sort_values(key).reset_index(drop=True),
                                  b.per_origin.sort_values(key).reset_index(drop=True))
    c = run_backtest(h, ["seasonal_naive", "drift"], [2013],
                     config=BacktestConfig(n_paths=100, seed=6))
    assert not np.allclose(a.per_origin["annual_crps"], c.per_origin["annual_crps"],
                           equal_nan=True)


@pytest.mark.slow
def test_parallel_gives_identical_results():
    h = plant()
    serial = run_backtest(h, ["seasonal_naive", "drift"], [2013],
                          config=BacktestConfig(n_paths=200, n_jobs=1))
    parallel = run_backtest(h, ["seasonal_naive", "drift"], [2013],
                            config=BacktestConfig(n_paths=200, n_jobs=2))
    pd.testing.assert_frame_equal(serial.per_origin, parallel.per_origin)
    pd.testing.assert_frame_equal(serial.summary, parallel.summary)


def test_no_leakage_altering_data_after_origin_leaves_its_forecasts_unchanged():
    h = plant()
    t = pd.Period("2013-05", "M")
    altered = h.copy()
    after = altered.index > t
    altered.loc[after, "gold_oz"] = altered.loc[after, "gold_oz"] * 1.7 + 500.0
    models = ["seasonal_naive", "drift"]
    a = run_backtest(h, models, [2013], guidance=GUIDANCE,
                     config=BacktestConfig(n_paths=200)).per_origin
    b = run_backtest(altered, models, [2013], guidance=GUIDANCE,
                     config=BacktestConfig(n_paths=200)).per_origin
    early = a["as_of"] <= str(t)
    assert early.sum() == 3 * 6
    pd.testing.assert_frame_equal(a.loc[early, FORECAST_COLUMNS], b.loc[early, FORECAST_COLUMNS])
    # The alteration is real: the scores against the (changed) actuals move ...
    assert not np.allclose(a.loc[early, "annual_crps"], b.loc[early, "annual_crps"],
                           equal_nan=True)
    # ... and so do the forecasts made after it.
    late = (a["as_of"] > str(t)) & (a["model"] != "guidance")
    assert not np.allclose(a.loc[late, "annual_p50"], b.loc[late, "annual_p50"])


def test_write_creates_tables_and_figures(tmp_path, result):
    paths = result.write(tmp_path / "bt")
    names = [p.name for p in paths]
    assert names == ["per_origin.csv", "summary.csv", "annual_error_by_months_known.png",
                     "interval_coverage.png"]
    back = pd.read_csv(tmp_path / "bt" / "per_origin.csv")
    assert len(back) == len(result.per_origin)
    assert np.allclose(back["annual_crps"], result.per_origin["annual_crps"], equal_nan=True)
    for p in paths[2:]:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_progress_bar_runs(capsys):
    r = run_backtest(plant(), ["seasonal_naive"], [2013],
                     config=BacktestConfig(n_paths=20, progress=True))
    assert len(r.per_origin) == 24
    assert "backtest" in capsys.readouterr().err


def test_annual_totals_take_the_last_release_of_whole_years():
    text = ("period,metric,value,unit,release_date\n"
            "2016,gold_produced,73476,oz,2018-11-28\n"
            "2016,gold_produced,73477,oz,2017-03-30\n"
            "2016Q4,gold_produced,21014,oz,2017-03-30\n"
            "2017-01..2017-12,gold_produced,79897,oz,2018-01-18\n"
            "2017-01..2017-09,gold_produced,55831,oz,2018-10\n")
    periods = periods_from_table(table_from_bytes(text.encode(), "p.csv", "csv"))
    assert annual_totals(None, periods) == {2016: 73_476.0, 2017: 79_897.0}


def test_annual_totals_from_the_real_periods_file():
    totals = annual_totals(None, load_periods(DYNACOR / "periods.csv"))
    assert totals[2017] == 79_897.0
    assert totals[2016] in (73_476.0, 73_477.0)
    # 2010 has no annual row: its four published quarters chain to its total.
    assert set(totals) == set(range(2010, 2018))
    assert totals[2010] == 5_179.0 + 7_291.0 + 10_576.0 + 10_479.0


@pytest.mark.slow
def test_real_dynacor_2017_backtest_with_guidance():
    h = load_production(DYNACOR / "monthly.csv")
    g = load_guidance(DYNACOR / "guidance.csv")
    totals = annual_totals(None, load_periods(DYNACOR / "periods.csv"))
    r = run_backtest(h, ["ets"], [2016, 2017], guidance=g, annual_actuals=totals,
                     config=BacktestConfig(n_paths=300))
    df = r.per_origin.set_index(["model", "as_of"])
    assert df.loc[("ets", "2017-11"), "status"] == "ok"
    assert df.loc[("ets", "2017-11"), "annual_actual_oz"] == 79_897.0
    # Jul-Oct 2016 have no monthly figure: those origins cannot forecast 2016.
    assert {"2016-07", "2016-10", "2016-11"} <= set(r.skipped["as_of"])
    assert df.loc[("guidance", "2017-01"), "annual_p50"] == 90_000.0
    assert df.loc[("guidance", "2017-10"), "annual_p50"] == 79_000.0
    assert bool(df.loc[("guidance", "2017-10"), "annual_cover80"])
    assert not bool(df.loc[("guidance", "2017-09"), "annual_cover80"])
