"""``arima`` (models/zoo/arima.py): automatic seasonal ARIMA (Hyndman & Khandakar 2008).

The zoo contract is checked for it by tests/models/test_zoo_contract.py; here: the
differencing helpers invert each other, the seasonal-strength rule picks seasonal
differencing on a strongly seasonal series and not on white noise, a known AR(1) is
recovered, forecasts follow a strong season, and a gap is fitted on the months after it.
"""

from __future__ import annotations

import numpy as np
import pytest

from models.core.pipeline import fit_model
from models.zoo import make_model
from models.zoo.arima import (
    difference_polynomial,
    fit_css,
    integrate,
    seasonal_strength,
)
from tests.models.series import gold_frame


def _seasonal(n: int = 96, seed: int = 0, amplitude: float = 0.4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    season = 1.0 + amplitude * np.sin(2 * np.pi * np.arange(n) / 12)
    level = 1000.0 + np.cumsum(rng.normal(0.0, 5.0, n))
    return level * season + rng.normal(0.0, 10.0, n)


def test_integrate_inverts_the_differencing():
    y = _seasonal(60)
    for d, big_d in ((0, 0), (1, 0), (0, 1), (1, 1), (2, 0)):
        poly = difference_polynomial(d, big_d, 12)
        w = np.convolve(y, poly)[poly.size - 1:y.size]
        cut = 40
        back = integrate(w[cut - (poly.size - 1):], y[:cut], poly)
        np.testing.assert_allclose(back, y[cut:], rtol=1e-10)


def test_seasonal_strength_separates_a_strong_season_from_noise():
    rng = np.random.default_rng(1)
    assert seasonal_strength(_seasonal(), 12) > 0.9
    assert seasonal_strength(1000.0 + rng.normal(0.0, 10.0, 96), 12) < 0.4
    # Too short to decompose: no strength.
    assert seasonal_strength(_seasonal(20), 12) == 0.0


def test_css_recovers_an_ar1():
    rng = np.random.default_rng(2)
    w = np.zeros(400)
    for t in range(1, w.size):
        w[t] = 0.6 * w[t - 1] + rng.normal()
    aicc, params = fit_css(w, (1, 0, 0, 0, False), 12)
    assert np.isfinite(aicc)
    assert params[0] == pytest.approx(0.6, abs=0.08)
    # A white-noise model of the same data has a worse AICc.
    assert fit_css(w, (0, 0, 0, 0, False), 12)[0] > aicc


def test_a_strong_season_is_differenced_and_forecast():
    y = _seasonal(96, seed=3)
    model = fit_model(make_model("arima"), gold_frame(y, start="2010-01"))
    assert model.big_d_ == 1
    assert "(" in model.spec_ and "[12]" in model.spec_
    point = model.point_forecast(12)
    truth = 1.0 + 0.4 * np.sin(2 * np.pi * np.arange(96, 108) / 12)
    # The forecast follows the season: correlated with the true profile.
    assert np.corrcoef(point, truth)[0, 1] > 0.9
    paths = model.sample_paths(12, 200, seed=0)
    assert paths.shape == (200, 12)
    # The point forecast sits inside the paths' 10-90% range for every month.
    lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
    assert np.all((lo <= point) & (point <= hi))


def test_white_noise_is_not_seasonally_differenced():
    rng = np.random.default_rng(4)
    model = fit_model(make_model("arima"), gold_frame(1000.0 + rng.normal(0.0, 20.0, 60),
                                                      start="2010-01"))
    assert model.big_d_ == 0 and model.d_ == 0
    assert model.point_forecast(6) == pytest.approx(np.full(6, 1000.0), rel=0.03)


def test_a_gap_is_fitted_on_the_months_after_it():
    y = _seasonal(96, seed=5)
    y[30] = np.nan
    frame = gold_frame(y, start="2010-01")
    model = fit_model(make_model("arima"), frame)
    assert model.n_obs_ == 96 - 31
    assert np.all(np.isfinite(model.sample_paths(6, 20, seed=1)))
