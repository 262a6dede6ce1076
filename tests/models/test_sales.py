"""The sales forecast (USD): the sales ratio, year-to-date from published totals, paths that
agree month, quarter and year, and outlook's guidance in the company's own terms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError
from models.core.outlook import Prices, guidance_at, year_outlook
from models.core.price_paths import PriceDeck
from models.core.sales import (
    DEFAULT_RATIO_SD_MEAN,
    DEFAULT_RATIO_SD_QUARTER,
    forecast_sales,
    sales_ratio,
)
from models.core.year import forecast_year
from models.data.datasets import gold_price
from models.zoo import make_model

AS_OF = pd.Period("2016-06", "M")


@pytest.fixture(scope="module")
def year_2016(dynacor):
    """share_runrate's 2016 from June on the embedded data, 1,000 paths (fast and enough
    for the agreements tested: they hold path by path)."""
    return forecast_year(make_model("share_runrate"), dynacor.monthly, AS_OF, n_paths=1000,
                         seed=3, periods=dynacor.periods)


def test_ratio_is_measured_on_the_plants_own_sales(dynacor):
    r = sales_ratio(dynacor.monthly, dynacor.periods, gold_price(), AS_OF)
    # Dynacor sells gold and some silver: a little over ounces times the average price
    assert r.source == "history" and len(r.spans) >= 10
    assert 0.98 < np.exp(r.log_mean) < 1.06
    assert 0.02 < r.sd_quarter < 0.2
    # spans that end after the as-of month are not used
    later = sales_ratio(dynacor.monthly, dynacor.periods, gold_price(), pd.Period("2013-06", "M"))
    assert later.months < r.months
    assert all(int(s[:4]) <= 2013 for s in later.spans)


def test_without_sales_history_the_ratio_is_one_with_the_stated_spread(dynacor):
    no_sales = dynacor.periods.loc[dynacor.periods["metric"] != "sales"]
    r = sales_ratio(dynacor.monthly, no_sales, gold_price(), AS_OF)
    assert (r.log_mean, r.sd_quarter, r.sd_mean, r.source) == (
        0.0, DEFAULT_RATIO_SD_QUARTER, DEFAULT_RATIO_SD_MEAN, "default")
    assert r.sd_for(3) > r.sd_for(12) > r.sd_mean


def test_months_quarters_and_year_of_sales_agree_and_ytd_is_the_published_half(dynacor,
                                                                             year_2016):
    sf = forecast_sales(year_2016, dynacor.monthly, dynacor.periods, gold_price(), seed=3)
    assert sf.month_paths.shape == (1000, 12)
    np.testing.assert_allclose(sf.quarter_paths.sum(axis=1), sf.annual_paths)
    np.testing.assert_allclose(sf.month_paths.sum(axis=1), sf.annual_paths)
    # H1 2016 sales were published (US$41.9M), as were Q1 and Q2: those are the known part
    assert sf.ytd_source == "periods" and sf.ytd_usd == pytest.approx(41.9e6)
    assert sf.quarter_paths[0, 0] == pytest.approx(20.4e6)
    assert sf.quarter_paths[0, 1] == pytest.approx(21.5e6)
    # the rest is each path's ounces times its own price, times its ratio draw
    rest = sf.month_paths[:, 6:] / (year_2016.month_paths[:, 6:] * sf.prices.paths[:, 6:])
    np.testing.assert_allclose(rest, rest[:, :1] * np.ones((1, 6)))
    # 2016's published sales, $91.3M, sit inside the 80% range
    p10, p90 = np.quantile(sf.annual_paths, (0.1, 0.9))
    assert p10 < 91.3e6 < p90


def test_prices_and_ratios_do_not_move_the_ounces(dynacor, year_2016):
    again = forecast_year(make_model("share_runrate"), dynacor.monthly, AS_OF, n_paths=1000,
                          seed=3, periods=dynacor.periods)
    forecast_sales(again, dynacor.monthly, dynacor.periods, gold_price(), seed=3)
    np.testing.assert_array_equal(again.month_paths, year_2016.month_paths)


def test_a_deck_narrows_sales_to_the_ounces_and_ratio_spread(dynacor, year_2016):
    model = forecast_sales(year_2016, dynacor.monthly, dynacor.periods, gold_price(), seed=3)
    deck = forecast_sales(year_2016, dynacor.monthly, dynacor.periods, gold_price(), seed=3,
                          deck=PriceDeck(flat=1300.0, label="deck 1,300 USD/oz"))
    assert (deck.prices.paths[:, 6:] == 1300.0).all()
    assert np.ptp(np.quantile(deck.annual_paths, (0.1, 0.9))) < np.ptp(
        np.quantile(model.annual_paths, (0.1, 0.9)))


def test_outlook_judges_sales_guidance_in_dollars_and_output_guidance_in_ounces(dynacor,
                                                                               year_2016):
    guidance = pd.DataFrame({
        "year": [2016, 2016], "metric": ["oz", "sales_usd"], "low": [70_000.0, 85e6],
        "high": [75_000.0, 95e6],
        "announced": pd.to_datetime(["2016-01-15", "2016-03-01"])})
    gif = guidance_at(guidance, 2016, AS_OF)
    assert (gif.output, gif.sales, gif.metric) == ((70_000.0, 75_000.0), (85e6, 95e6),
                                                   "sales_usd")
    out = year_outlook(year_2016, dynacor.monthly, dynacor.periods, gif,
                       Prices(gold_price()), seed=3)
    sales = out.annual["sales_usd"]
    paths = out.sales.annual_paths
    assert sales["prob_within"] == pytest.approx(
        np.mean((paths >= 85e6) & (paths <= 95e6)), abs=1e-4)
    assert out.annual["prob_within"] == pytest.approx(
        np.mean((year_2016.annual_paths >= 70_000) & (year_2016.annual_paths <= 75_000)),
        abs=1e-4)
    assert out.annual["guidance_metric"] == "sales_usd" and out.measure == "oz"
    assert list(out.monthly.columns[-4:]) == ["sales_mean", "sales_p10", "sales_p50",
                                              "sales_p90"]
    assert "random walk in log price" in sales["price_model"] and sales["price_deck"] is None


def test_sales_without_prices_are_left_out_unless_asked_for(dynacor, year_2016):
    early = gold_price().loc[:"2015-12"]
    early.attrs = {"source": "early.csv"}
    out = year_outlook(year_2016, dynacor.monthly, dynacor.periods, guidance_at(None, 2016, AS_OF),
                       Prices(early))
    assert out.annual["sales_usd"] is None and out.sales is None
    assert "sales_mean" not in out.monthly.columns
    with pytest.raises(DataValidationError, match=r"early.csv:0: usd_per_oz: .*2016-01\.\.2016-06"):
        year_outlook(year_2016, dynacor.monthly, dynacor.periods,
                     guidance_at(None, 2016, AS_OF, (80e6, 90e6), "sales_usd"), Prices(early))
