"""The Theta family: the Theta method on calendar-month seasons (``theta``, statsmodels'
ThetaModel), the M3 Theta as SES with drift (``theta_ses``) and the Dynamic Optimised Theta
(``dotm``), the last two on the fast smoothing machinery (``models.zoo.smoothing``).

All three divide the months by the plant's seasonal profile (``models.zoo.season``:
classical multiplicative indices shrunk toward 1 by James-Stein, from the months or else the
quarterly totals) and multiply their forecasts back by it. ``theta`` keeps the indices by
calendar month, ``theta_ses`` and ``dotm`` by position in the season (any season length,
which with 12 months is the calendar).

``theta`` (Assimakopoulos & Nikolopoulos 2000; statsmodels ``ThetaModel``):
1. Divide the series by the seasonal profile (above; the M3 method adjusted only when the
   lag-12 autocorrelation was significant at 90%).
2. Fit ``ThetaModel`` (OLS trend slope ``b0`` and SES smoothing ``alpha``) to the adjusted
   series; the point forecast is the theta-line combination (``theta = 2`` by default).
3. Hyndman & Billah (2003) show this forecast is that of simple exponential smoothing with
   drift ``b = b0 (1 - 1/theta)``, whose state-space form is
   ``y_t = l_{t-1} + b + e_t``, ``l_t = l_{t-1} + b + alpha e_t``. Sample paths therefore add
   to the point forecast the error of that recursion, ``e_{T+h} + alpha sum_{j<h} e_{T+j}``,
   with Gaussian ``e`` whose standard deviation is the in-sample one-step error of the same
   recursion. Paths are then multiplied back by the seasonal index of their calendar month.

``theta_ses``: the Theta method in the form of Hyndman & Billah (2003), SES plus half the OLS
trend slope ``b0``, forecast ``l_T + b0/2 ((h - 1) + (1 - (1 - alpha)^T) / alpha)`` as in
``forecast::thetaf`` (the M3 ``THETA``).

``dotm`` (Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler 2016, IJF 32(4); R
``forecTheta::dotm``):

1. Seasonal adjustment by the shrunk profile (above), indices by position.
2. On the adjusted series ``y_1..y_n``, with ``A_t``, ``B_t`` the OLS intercept and slope of
   ``y_1..y_t`` on ``1..t`` (updated every month, hence "dynamic"), the one-step forecast is
   ``mu_t = l_{t-1} + (1 - 1/theta) [(1 - alpha)^(t-1) A_{t-1}
   + (1 - (1 - alpha)^t) / alpha B_{t-1}]`` and ``l_t = alpha y_t + (1 - alpha) l_{t-1}``.
   Unlike the classical Theta method (``theta = 2``), ``theta >= 1`` is estimated per
   series with ``alpha`` and ``l_0``, by least squares of the one-step errors.
3. For a given ``alpha`` the one-step forecasts are linear in ``l_0`` and
   ``c = 1 - 1/theta``, so both are profiled out by a two-column least squares; the
   numerical search runs over ``alpha`` alone. ``c`` is kept in [0, 0.9] (theta in [1, 10]).
4. Point forecast ``l_n + c [(1 - alpha)^n A_n + ((h - 1) + (1 - (1 - alpha)^(n+1)) / alpha)
   B_n]``; sample paths add the SES error accumulation ``e_h + alpha sum_{j<h} e_j`` with
   Gaussian ``e`` of the in-sample one-step standard deviation (the dynamic update of
   ``A``, ``B`` along a path is left out), then are multiplied back by the seasonal indices.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.forecasting.theta import ThetaModel

from models.core.base import ForecastModel, observed_target
from models.core.calendar import month_of_year
from models.kernels.seasonal import PERIOD
from models.kernels.smoothing import fit_dotm, running_trend, ses_drift_sigma
from models.zoo.season import calendar_profile, season_ahead
from models.zoo.smoothing import SES

log = logging.getLogger(__name__)


class Theta(ForecastModel):
    """Theta method (SES with drift) on seasonally adjusted ounces, multiplicative seasons."""

    name = "theta"
    min_history = 12
    # Quarterly totals give the seasonal profile of a plant with too few months.
    uses_periods = True
    complexity = 3

    def __init__(self, *, theta: float = 2.0, deseasonalize: bool = True):
        """Args: theta: weight of the theta line (>= 1); deseasonalize: allow step 1 above."""
        self.theta = theta
        self.deseasonalize = deseasonalize

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        months = month_of_year(history.index)
        self.season_ = np.ones(PERIOD)
        self.seasonal_ = False
        if self.deseasonalize:
            self.season_, _ = calendar_profile(history, periods)
            self.seasonal_ = bool(np.any(self.season_ != 1.0))
        adjusted = y / self.season_[months]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = ThetaModel(adjusted, period=PERIOD, deseasonalize=False).fit()
        self.alpha_ = float(res.params["alpha"])
        self.b0_ = float(res.params["b0"])
        self.drift_oz_ = self.b0_ * (1.0 - 1.0 / self.theta)
        self.sigma_oz_ = ses_drift_sigma(adjusted, self.alpha_, self.drift_oz_)
        self.result_ = res
        log.debug("theta: alpha=%.3f b0=%.1f sigma=%.1f seasonal=%s", self.alpha_, self.b0_,
                  self.sigma_oz_, self.seasonal_)

    def _future_season(self, horizon: int) -> np.ndarray:
        return season_ahead(self.season_, self.last_month_, horizon)

    def _adjusted_point(self, horizon: int) -> np.ndarray:
        return np.asarray(self.result_.forecast(horizon, theta=self.theta), dtype=float)

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """Theta forecast re-seasonalised, shape (horizon,), oz, floored at 0: the centre of
        the paths, without their simulation noise."""
        self._require_fitted("result_")
        return np.maximum(self._adjusted_point(horizon) * self._future_season(horizon), 0.0)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        point = self._adjusted_point(horizon)
        e = self.sigma_oz_ * rng.standard_normal((n_paths, horizon))
        # Error of SES with drift h steps ahead: today's shock plus alpha times the earlier ones.
        past = np.cumsum(e, axis=1) - e
        adjusted = point[None, :] + e + self.alpha_ * past
        return adjusted * self._future_season(horizon)[None, :]


class ThetaSES(SES):
    """Theta method as SES with drift b0/2 on seasonally adjusted ounces (M3 ``THETA``)."""

    name = "theta_ses"
    complexity = 3

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        e = super()._fit_adjusted(y)
        t = np.arange(y.size, dtype=float)
        obs = np.isfinite(y)
        self.b0_ = float(np.polyfit(t[obs], y[obs], 1)[0])
        self.n_adj_ = int(y.size)
        return e

    def _drift(self, horizon: int) -> np.ndarray:
        a = self.alpha_
        h = np.arange(horizon, dtype=float)
        return 0.5 * self.b0_ * (h + (1.0 - (1.0 - a) ** self.n_adj_) / a)

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return self.level_ + self._drift(horizon)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        return super()._simulate_adjusted(e) + self._drift(e.shape[1])[None, :]


class DynamicOptimisedTheta(SES):
    """Dynamic Optimised Theta (Fiorucci et al. 2016) on seasonally adjusted ounces."""

    name = "dotm"
    # Its running trend needs every value: fitted on the values after the last gap.
    handles_missing = False
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 3

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        self.alpha_, self.c_, self.level_, e = fit_dotm(y)
        self.theta_ = 1.0 / (1.0 - self.c_)
        a_run, b_run = running_trend(y)
        self.a_n_, self.b_n_ = float(a_run[-1]), float(b_run[-1])
        self.n_adj_ = int(y.size)
        return e

    def _drift(self, horizon: int) -> np.ndarray:
        a, n = self.alpha_, self.n_adj_
        h = np.arange(horizon, dtype=float)
        return self.c_ * ((1.0 - a) ** n * self.a_n_
                          + (h + (1.0 - (1.0 - a) ** (n + 1)) / a) * self.b_n_)

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return self.level_ + self._drift(horizon)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        return super()._simulate_adjusted(e) + self._drift(e.shape[1])[None, :]
