"""The Theta method with multiplicative deseasonalisation and SES-with-drift sample paths.

Method (Assimakopoulos & Nikolopoulos 2000; statsmodels ``ThetaModel``):
1. When the history holds at least two years and the M3 seasonality test (lag-12
   autocorrelation significant at 90%) says so, divide the series by classical
   multiplicative seasonal indices (ratio to a centred 2x12 moving average).
2. Fit ``ThetaModel`` (OLS trend slope ``b0`` and SES smoothing ``alpha``) to the adjusted
   series; the point forecast is the theta-line combination (``theta = 2`` by default).
3. Hyndman & Billah (2003) show this forecast is that of simple exponential smoothing with
   drift ``b = b0 (1 - 1/theta)``, whose state-space form is
   ``y_t = l_{t-1} + b + e_t``, ``l_t = l_{t-1} + b + alpha e_t``. Sample paths therefore add
   to the point forecast the error of that recursion, ``e_{T+h} + alpha sum_{j<h} e_{T+j}``,
   with Gaussian ``e`` whose standard deviation is the in-sample one-step error of the same
   recursion. Paths are then multiplied back by the seasonal index of their calendar month.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.forecasting.theta import ThetaModel

from models.core.base import ForecastModel, observed_target
from models.core.calendar import month_of_year
from models.kernels.seasonal import PERIOD, is_seasonal, multiplicative_indices

log = logging.getLogger(__name__)


def ses_drift_sigma(y: np.ndarray, alpha: float, drift: float) -> float:
    """Root mean squared one-step error of SES with drift (Hyndman & Billah 2003).

    Args:
        y: gap-free series, shape (n,), oz.
        alpha: smoothing parameter in (0, 1].
        drift: drift per month, oz.
    Returns:
        sigma in oz (0 when n < 2).
    """
    level = y[0]
    errors = np.empty(y.size - 1)
    for t in range(1, y.size):
        forecast = level + drift
        errors[t - 1] = y[t] - forecast
        level = forecast + alpha * errors[t - 1]
    return float(np.sqrt(np.mean(errors ** 2))) if errors.size else 0.0


class Theta(ForecastModel):
    """Theta method (SES with drift) on seasonally adjusted ounces, multiplicative seasons."""

    name = "theta"
    min_history = 12
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
        if self.deseasonalize and y.size >= 2 * PERIOD:
            if np.any(y <= 0):
                log.info("theta: non-positive months, no multiplicative deseasonalisation")
            elif is_seasonal(y):
                self.season_ = multiplicative_indices(y, months)
                self.seasonal_ = True
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
        return self.season_[month_of_year(self.future_index(horizon))]

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
