from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import ModelDeclined
from models.core.year import forecast_year
from models.data.periods import cumulative_anchors
from models.simulator.plant import simulate_plant
from models.zoo.share_runrate import SeasonalShareRunRate


def test_anchors_combine_monthly_figures_and_period_totals(dynacor):
    a = cumulative_anchors(dynacor.monthly, dynacor.periods)
    # 2016: Jan-Jun monthly, Q3 from periods, Nov-Dec monthly with the annual total
    assert a[2016][6] == pytest.approx(33332.0)
    assert a[2016][9] == pytest.approx(33332.0 + 19131.0, abs=1.0)
    assert a[2016][12] == pytest.approx(73476.0, abs=1.0)
    assert a[2016][11] == pytest.approx(a[2016][12] - 6803.0)
    # 2014 Q1 share 17.7% of the annual total, published as a share only
    assert a[2014][3] == pytest.approx(0.177 * 68923.0)
    assert a[2017][12] == pytest.approx(79897.0)


def test_real_2017_from_june_brackets_the_actual(dynacor):
    yf = forecast_year(SeasonalShareRunRate(), dynacor.monthly, pd.Period("2017-06", "M"),
                       n_paths=4000, seed=0, periods=dynacor.periods)
    p10, p90 = np.quantile(yf.annual_paths, [0.1, 0.9])
    assert yf.ytd_oz == pytest.approx(35310.0)
    assert p10 < 79897.0 < p90
    assert np.all(yf.annual_paths >= yf.ytd_oz)


def test_interval_narrows_as_the_year_fills(dynacor):
    widths = []
    for as_of in ("2017-01", "2017-06", "2017-10"):
        yf = forecast_year(SeasonalShareRunRate(), dynacor.monthly, pd.Period(as_of, "M"),
                           n_paths=4000, seed=0, periods=dynacor.periods)
        p10, p90 = np.quantile(yf.annual_paths, [0.1, 0.9])
        widths.append(p90 - p10)
    assert widths[0] > widths[1] > widths[2]


def test_without_past_years_the_shares_start_flat_and_the_interval_is_wider(dynacor):
    # No period totals: 2016 has unpublished months, so no past year has a known total.
    as_of = pd.Period("2017-06", "M")
    flat = forecast_year(SeasonalShareRunRate(), dynacor.monthly, as_of, n_paths=4000,
                         seed=0, periods=None)
    learned = forecast_year(SeasonalShareRunRate(), dynacor.monthly, as_of, n_paths=4000,
                            seed=0, periods=dynacor.periods)
    # s(6) = 6/12: the median is twice the year to date
    assert np.median(flat.annual_paths) == pytest.approx(2 * 35310.0, rel=0.02)
    width = [np.subtract(*np.quantile(f.annual_paths, [0.9, 0.1])) for f in (flat, learned)]
    assert width[0] > width[1]


def test_a_forecast_before_january_still_needs_past_years(dynacor):
    with pytest.raises(ModelDeclined, match="3 past years"):
        forecast_year(SeasonalShareRunRate(), dynacor.monthly, pd.Period("2016-12", "M"),
                      n_paths=100, seed=0, periods=None)


def test_a_decline_found_during_the_fit_leaves_the_model_unfitted(dynacor):
    model = SeasonalShareRunRate()
    history = dynacor.monthly.loc[:"2016-12"]
    assert model.decline_reason(history) is None  # only the fit itself finds the reason
    with pytest.raises(ModelDeclined, match="3 past years"):
        model.fit(history)
    with pytest.raises(RuntimeError, match="not fitted"):
        model.sample_paths(3, 10, seed=0)


def test_calibrated_on_simulated_plants():
    hits, n = 0, 0
    for seed in range(40):
        h = simulate_plant(96, seed=seed, start="2010-01")
        as_of = pd.Period("2017-05", "M")
        yf = forecast_year(SeasonalShareRunRate(), h, as_of, n_paths=1000, seed=seed)
        lo, hi = np.quantile(yf.annual_paths, [0.1, 0.9])
        hits += lo <= h.loc["2017-01":"2017-12", "gold_oz"].sum() <= hi
        n += 1
    assert 0.6 <= hits / n <= 1.0


def test_months_add_up_to_the_year_in_every_path(plant):
    m = SeasonalShareRunRate().fit(plant.loc[:"2016-03"])
    paths = m.sample_paths(9 + 12, 500, seed=2)
    assert paths.shape == (500, 21)
    assert np.all(paths >= 0)
    # determinism
    np.testing.assert_array_equal(paths, m.sample_paths(21, 500, seed=2))
    assert not np.array_equal(paths, m.sample_paths(21, 500, seed=3))
