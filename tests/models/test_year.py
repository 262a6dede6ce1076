from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.calendar import month_from_text
from models.core.errors import DataValidationError, UsageError
from models.core.year import forecast_year, guidance_in_force
from models.zoo.seasonal_naive import SeasonalNaive
from models.zoo.share_runrate import SeasonalShareRunRate


def test_annual_paths_are_ytd_plus_sum_of_monthly_paths(plant):
    yf = forecast_year(SeasonalNaive(), plant, pd.Period("2018-05", "M"), n_paths=300, seed=1)
    ytd = plant.loc["2018-01":"2018-05", "gold_oz"].sum()
    assert yf.months_actual == 5
    assert yf.ytd_oz == pytest.approx(ytd)
    np.testing.assert_allclose(yf.annual_paths, ytd + yf.month_paths[:, 5:].sum(axis=1))
    # known months are the actuals in every path
    np.testing.assert_array_equal(yf.month_paths[:, :5],
                                  np.tile(plant.loc["2018-01":"2018-05", "gold_oz"], (300, 1)))
    np.testing.assert_allclose(yf.quarter_paths.sum(axis=1), yf.annual_paths)


@pytest.mark.parametrize("model_cls", [SeasonalNaive, SeasonalShareRunRate])
def test_months_after_as_of_cannot_change_the_forecast(plant, model_cls):
    as_of = pd.Period("2017-08", "M")
    altered = plant.copy()
    later = altered.index > as_of
    altered.loc[later, "gold_oz"] = altered.loc[later, "gold_oz"] * 3.0 + 1234.0
    altered.loc[later, "ore_processed_t"] = 0.0
    a = forecast_year(model_cls(), plant, as_of, n_paths=200, seed=5)
    b = forecast_year(model_cls(), altered, as_of, n_paths=200, seed=5)
    np.testing.assert_array_equal(a.month_paths, b.month_paths)
    # and the check can fail: altering an earlier month does change it
    earlier = plant.copy()
    earlier.loc["2017-02", "gold_oz"] = earlier.loc["2017-02", "gold_oz"] * 2
    c = forecast_year(model_cls(), earlier, as_of, n_paths=200, seed=5)
    assert not np.array_equal(a.month_paths, c.month_paths)


def test_december_as_of_targets_next_year(plant):
    yf = forecast_year(SeasonalNaive(), plant, pd.Period("2016-12", "M"), n_paths=50, seed=0)
    assert yf.year == 2017 and yf.months_actual == 0 and yf.ytd_oz == 0


def test_as_of_from_an_earlier_year_forecasts_the_whole_target_year(plant):
    yf = forecast_year(SeasonalNaive(), plant, pd.Period("2016-06", "M"), 2017,
                       n_paths=50, seed=0)
    assert yf.months_actual == 0 and yf.month_paths.shape == (50, 12)


def test_missing_month_of_target_year_is_refused_not_filled(dynacor):
    # Jul-Sep 2016 are covered by the nine-month total, October by nothing published then
    with pytest.raises(DataValidationError, match="covered 2016-01..2016-09, 2016-11, "
                                                  "missing 2016-10"):
        forecast_year(SeasonalShareRunRate(), dynacor.monthly, pd.Period("2016-11", "M"),
                      n_paths=50, seed=0, periods=dynacor.periods)


@pytest.mark.parametrize("as_of", ["2017-12", "2030-01"])
def test_as_of_outside_the_data_or_year_is_a_usage_error(plant, as_of):
    with pytest.raises(UsageError):
        forecast_year(SeasonalNaive(), plant.loc[:"2017-06"], pd.Period(as_of, "M"), 2017)


@pytest.mark.parametrize("text", ["2017-6", "2017/06", "June 2017", "2017-13", ""])
def test_parse_month_rejects_malformed(text):
    with pytest.raises(UsageError, match="YYYY-MM"):
        month_from_text(text)


def test_guidance_in_force_follows_announcement_dates(dynacor):
    g = dynacor.guidance
    assert guidance_in_force(g, 2017, pd.Period("2016-12", "M")) is None
    assert guidance_in_force(g, 2017, pd.Period("2017-01", "M")) == (88000.0, 92000.0)
    assert guidance_in_force(g, 2017, pd.Period("2017-09", "M")) == (88000.0, 92000.0)
    # cut to 78-80k on 2017-10-25: in force for the October as-of
    assert guidance_in_force(g, 2017, pd.Period("2017-10", "M")) == (78000.0, 80000.0)
    assert guidance_in_force(g, 2018, pd.Period("2017-10", "M")) is None
