"""Members fit through missing months instead of dropping the history before the last gap."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.pipeline import fit_model
from models.core.quarterly import QuarterlyFit
from models.kernels.smoothing import _damped_errors, _ses_errors_missing, fit_damped, fit_ses
from models.zoo import make_model
from models.zoo.ets import ETS
from tests.models.series import gold_frame

GAPPY = ("ses", "theta_ses", "damped", "damped_mapa", "ets", "drift", "state_space")


def test_the_missing_value_recursion_is_the_fast_one_on_a_gap_free_series():
    y = np.random.default_rng(3).normal(100.0, 10.0, 40).cumsum()
    alpha, level, e = fit_ses(y)
    e_loop, _, level_loop = _ses_errors_missing(y, alpha)
    np.testing.assert_allclose(e_loop, e, rtol=1e-9, atol=1e-6)
    assert level_loop == pytest.approx(level, rel=1e-9)


def test_a_missing_value_gets_no_update_and_no_error():
    y = np.random.default_rng(4).normal(100.0, 10.0, 30)
    gappy = y.copy()
    gappy[10:14] = np.nan
    alpha, _, e = fit_ses(gappy)
    assert np.isnan(e[10:14]).all() and np.isfinite(np.delete(e, range(10, 14))).all()
    (a, b, phi), _, _, e_d = fit_damped(gappy)
    assert np.isnan(e_d[10:14]).all()
    # the first prediction after the gap is the damped projection of the last state
    e_all, l0, b0 = _damped_errors(gappy, a, b, phi)
    assert np.isfinite(l0) and np.isfinite(b0)


@pytest.mark.parametrize("name", GAPPY)
def test_the_embedded_2017_is_forecast_from_the_months_not_from_october(dynacor, name):
    # Jul-Oct 2016 were never published monthly: these members fit through the gap and
    # forecast from April 2017 (12 observed months), not only from October.
    as_of = pd.Period("2017-04", "M")
    fitted = fit_model(make_model(name), dynacor.monthly.loc[:as_of])
    assert not isinstance(fitted, QuarterlyFit)
    assert fitted.n_obs_ == 12
    paths = fitted.sample_paths(8, 300, seed=0)
    assert np.all(np.isfinite(paths)) and paths.min() >= 0.0
    assert 3_000 < np.median(paths) < 12_000


def test_ets_through_a_gap_uses_the_kalman_filter():
    y = 1000 + 50 * np.sin(np.arange(48) * 2 * np.pi / 12) + np.arange(48) * 3.0
    y[20:24] = np.nan
    m = ETS().fit(gold_frame(y))
    assert m.kalman_ and "Kalman" in m.spec_
    full = ETS().fit(gold_frame(np.nan_to_num(y, nan=1000.0)))
    assert not full.kalman_
