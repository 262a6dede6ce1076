"""The sales forecast scored at backtest origins: against the year's published sales, the
run-rate and the sales guidance."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.data.datasets import gold_price
from training.backtest import BacktestConfig, run_backtest
from training.sales_backtest import SALES_COLUMNS, sales_backtest, sales_scores


@pytest.fixture(scope="module")
def backtest_2016(dynacor):
    # share_runrate is the fastest member; 2016 has published sales for Q1-Q3, H1 and the
    # year, so every kind of year-to-date is met (none, oz x price, periods, mixed)
    return run_backtest(dynacor.monthly, ["share_runrate"], [2016], periods=dynacor.periods,
                        config=BacktestConfig(n_paths=300))


def test_sales_are_scored_where_the_years_sales_are_known(dynacor, backtest_2016):
    guidance = pd.DataFrame({"year": [2016], "metric": ["sales_usd"], "low": [85e6],
                             "high": [95e6], "announced": pd.to_datetime(["2016-02-01"])})
    frame = sales_backtest(backtest_2016.forecasts, dynacor.monthly, dynacor.periods,
                           gold_price(), guidance, model="share_runrate")
    assert list(frame.columns) == SALES_COLUMNS
    assert (frame["actual_usd"] == 91.3e6).all() and len(frame) >= 8
    assert set(frame["ytd_source"]) >= {"none", "periods", "oz_x_price"}
    assert np.isnan(frame.loc[frame["months_known"] == 0, "runrate_ape"]).all()
    june = frame.loc[frame["as_of"] == "2016-06"].iloc[0]
    # the run-rate at June is the published H1 sales times two
    assert june["runrate_usd"] == pytest.approx(2 * 41.9e6)
    assert june["ape"] == pytest.approx(100 * abs(june["p50"] - 91.3e6) / 91.3e6)
    # guidance is scored from its announcement on
    assert np.isnan(frame.loc[frame["as_of"] == "2015-12", "guidance_ape"]).all()
    assert june["guidance_ape"] == pytest.approx(100 * abs(90e6 - 91.3e6) / 91.3e6)
    scores = sales_scores(frame)
    q = frame.loc[frame["months_known"].isin([3, 6, 9])]
    assert scores["sales_n_origins"] == len(q)
    assert scores["sales_ape"] == pytest.approx(q["ape"].mean())
    assert scores["sales_cover80"] == pytest.approx(100 * q["cover80"].mean())


def test_no_sales_rows_no_scores(dynacor, backtest_2016):
    periods = dynacor.periods.loc[dynacor.periods["metric"] != "sales"]
    frame = sales_backtest(backtest_2016.forecasts, dynacor.monthly, periods, gold_price())
    assert frame.empty and sales_scores(frame) == {}
