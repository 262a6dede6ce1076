"""Members fitted on quarterly totals when the months of a year were never published."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model
from models.core.quarterly import QuarterlyFit
from models.core.year import forecast_year
from models.zoo import make_model, model_names

AS_OF = pd.Period("2015-06", "M")


def quarterly_members() -> list[str]:
    from models.zoo import model_class

    return [m for m in model_names() if model_class(m).fits_quarterly]


def test_the_smoothing_family_and_ets_can_read_quarters():
    assert {"naive", "ses", "theta_ses", "damped", "ets", "drift"} <= set(quarterly_members())
    # calendar-month models never read quarters as months
    assert not {"theta", "share_runrate", "gbm"} & set(quarterly_members())


@pytest.mark.parametrize("name", ["ses", "damped", "ets", "naive", "drift"])
def test_a_quarterly_only_year_is_forecast_from_its_quarters(dynacor, name):
    yf = forecast_year(make_model(name), dynacor.monthly, AS_OF, n_paths=400, seed=1,
                       periods=dynacor.periods)
    assert yf.ytd_source == "periods" and yf.ytd_oz == pytest.approx(32152.0)
    assert not yf.is_monthly.any()
    # each simulated quarter is split evenly over its months
    q3 = yf.month_paths[:, 6:9]
    np.testing.assert_allclose(q3, q3[:, :1].repeat(3, axis=1))
    assert np.all(np.isfinite(yf.annual_paths)) and yf.annual_paths.min() >= 32152.0


def test_the_quarterly_fit_uses_a_season_of_four(dynacor):
    hist = dynacor.monthly.reindex(pd.period_range("2010-01", AS_OF, freq="M", name="month"))
    fitted = fit_model(make_model("ets"), hist, periods=dynacor.periods.loc[
        dynacor.periods["end"] <= AS_OF])
    assert isinstance(fitted, QuarterlyFit)
    assert fitted.fitted_member_.season_length == 4 and fitted.name == "ets"


def test_too_few_quarters_decline_with_both_reasons(dynacor):
    with pytest.raises(ModelDeclined, match="on quarterly totals: needs at least 4"):
        forecast_year(make_model("ses"), dynacor.monthly, pd.Period("2010-09", "M"),
                      periods=dynacor.periods)


def test_no_quarterly_fit_away_from_a_quarter_end(dynacor):
    # Aug 2015 has no known output, so no forecast can start there at all
    with pytest.raises(Exception, match="no published total ends at 2015-08"):
        forecast_year(make_model("ses"), dynacor.monthly, pd.Period("2015-08", "M"),
                      periods=dynacor.periods)
