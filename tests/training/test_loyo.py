"""Leave-one-year-out: the whole choice made without the year it is scored on."""

from __future__ import annotations

import pandas as pd
import pytest

from models.data.datasets import dynacor
from tests.training.test_selection import by_year, years
from training.backtest import BacktestConfig, run_backtest
from training.combination import EQUAL, add_combinations
from training.loyo import PROCEDURE, expectation_table, leave_one_year_out
from training.scoring import QUARTER_ENDS


def test_the_choice_of_each_fold_ignores_the_held_out_year():
    # ets beats the mixture in 4 of 5 years: with a winning year held out only 3 of 4
    # remain (not enough); with the losing year held out, 4 of 4.
    r = by_year({"ensemble": years([100] * 5), "ets": years([90, 90, 90, 90, 101])})
    held, folds = leave_one_year_out(r, pd.DataFrame({"gold_oz": []}), 3)
    picks = dict(zip(folds["year"], folds["pick"], strict=True))
    assert picks == {2011: EQUAL, 2012: EQUAL, 2013: EQUAL, 2014: EQUAL, 2015: "ets"}
    assert (folds["n_years"] == 4).all()
    assert set(held["model"]) == {PROCEDURE}
    assert held.loc[held["year"] == 2015, "annual_crps"].eq(101).all()
    assert held.loc[held["year"] == 2011, "annual_crps"].eq(100).all()


@pytest.fixture(scope="module")
def embedded():
    ds = dynacor()
    r = run_backtest(ds.monthly, ["naive", "share_runrate", "ses", "theta_ses"], range(2011, 2018), periods=ds.periods, guidance=ds.guidance,
                     config=BacktestConfig(n_paths=200, seed=0))
    out, _ = add_combinations(r, ds.monthly, 3)
    return ds, out


def test_every_year_of_the_embedded_data_gives_evidence(embedded):
    _, r = embedded
    po = r.per_origin.loc[r.per_origin["model"] == "guidance"]
    months = po.groupby("year")["months_known"].apply(sorted).to_dict()
    assert months[2013] == [0, 3, 6] and months[2015] == [0, 3, 6, 9]
    assert months[2017] == list(range(12)) and months[2014] == [0]
    assert set(months) == set(range(2011, 2018))
    ev = po.set_index("as_of")["evidence"]
    assert ev["2013-06"] == "periods" and ev["2016-09"] == "periods"
    assert ev["2017-06"] == "monthly"


def test_members_forecast_quarterly_only_years(embedded):
    _, r = embedded
    po = r.per_origin
    ses = po.loc[(po["model"] == "ses") & (po["year"] == 2013)]
    assert (ses["status"] == "ok").all() and set(ses["months_known"]) == {0, 3, 6}


def test_the_expectation_compares_like_with_like(embedded):
    ds, r = embedded
    held, folds = leave_one_year_out(r, ds.monthly, 3)
    assert list(folds["year"]) == list(range(2011, 2018))
    assert len(held) == (r.per_origin["model"] == EQUAL).sum()
    table = expectation_table(r, held, QUARTER_ENDS).set_index("model")
    assert table.loc[PROCEDURE, "ape_ratio"] == pytest.approx(1.0)
    srr = table.loc["share_runrate"]
    assert srr["n_origins"] < table.loc[PROCEDURE, "n_origins"]
    assert 0 < srr["procedure_ape"] and 0 < srr["ape"]


def test_the_rule_keeps_the_mixture_on_the_embedded_years(embedded):
    from training.selection import choose_procedure

    _, r = embedded
    choice = choose_procedure(r, EQUAL)
    assert choice.best == EQUAL and choice.years == tuple(range(2011, 2018))
