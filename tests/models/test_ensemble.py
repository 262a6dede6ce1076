from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model
from models.zoo.ensemble import Ensemble


def test_weighted_mixture_takes_paths_in_proportion(plant):
    ens = fit_model(Ensemble(members=("seasonal_naive", "share_runrate"),
                             weights={"seasonal_naive": 3.0, "share_runrate": 1.0}), plant)
    assert ens.member_weights_ == pytest.approx({"seasonal_naive": 0.75, "share_runrate": 0.25})
    paths = ens.sample_paths(6, 1000, seed=1)
    assert paths.shape == (1000, 6) and np.all(paths >= 0)
    np.testing.assert_array_equal(paths, ens.sample_paths(6, 1000, seed=1))


def test_median_combination_lies_between_members(plant):
    ens = fit_model(Ensemble(members=("seasonal_naive", "drift", "share_runrate"),
                             method="median"), plant)
    paths = ens.sample_paths(12, 400, seed=4)
    members = [m.sample_paths(12, 400, seed=0).mean(axis=0) for m in ens.fitted_members_]
    lo, hi = np.min(members, axis=0), np.max(members, axis=0)
    mean = paths.mean(axis=0)
    assert np.all(mean >= lo - 0.05 * lo) and np.all(mean <= hi + 0.05 * hi)


def test_members_that_decline_are_left_out_with_a_reason(dynacor):
    hist = dynacor.monthly.loc[:"2017-06"]
    ens = fit_model(Ensemble(members=("sarimax", "share_runrate")), hist,
                    periods=dynacor.periods.loc[dynacor.periods["end"] <= pd.Period("2017-06")])
    assert [m.name for m in ens.fitted_members_] == ["share_runrate"]
    assert "ore_purchased_t" in ens.declined_["sarimax"]


def test_all_members_declining_declines_the_ensemble(dynacor):
    with pytest.raises(ModelDeclined, match="no member"):
        fit_model(Ensemble(members=("sarimax",)), dynacor.monthly.loc[:"2017-06"])


def test_bad_method_is_rejected(plant):
    with pytest.raises(ValueError, match="method"):
        fit_model(Ensemble(members=("seasonal_naive",), method="mean"), plant)
