"""Fast exponential smoothing on seasonally adjusted series: SES, damped trend and Theta.

These are the classical M3 benchmarks (Makridakis & Hibon 2000), written for speed so that
thousands of series can be fitted in minutes:

1. Seasonal adjustment as in the M3 competition: when at least two seasons are observed,
   every value is positive and the lag-``m`` autocorrelation is significant at 90 %
   (``is_seasonal``), divide by classical multiplicative indices (ratio to a centred moving
   average, Hyndman & Athanasopoulos, FPP3 3.4). Indices are kept by position in the season,
   so any ``season_length`` works on monthly data.
2. On the adjusted series, one of
   - ``ses``: simple exponential smoothing, ETS(A,N,N);
   - ``damped``: Gardner & McKenzie (1985) damped additive trend, ETS(A,Ad,N), the M3
     ``DAMPEN`` benchmark;
   - ``theta``: the Theta method (Assimakopoulos & Nikolopoulos 2000) in the form of
     Hyndman & Billah (2003): SES plus half the OLS trend slope ``b0``, forecast
     ``l_T + b0/2 ((h - 1) + (1 - (1 - alpha)^T) / alpha)`` as in ``forecast::thetaf``.
   Parameters minimise the in-sample sum of squared one-step errors; initial states are
   profiled out by linear least squares (the one-step forecasts are linear in them), so the
   numerical search runs over the smoothing parameters only.
3. Point forecasts (``point_forecast``) are analytic; sample paths simulate the state-space
   form with Gaussian errors of the in-sample one-step standard deviation, then are
   multiplied back by the seasonal indices.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
from scipy.optimize import minimize, minimize_scalar
from scipy.signal import lfilter

from models.core.base import ForecastModel, observed_target
from models.kernels import seasonal as _seasonal

log = logging.getLogger(__name__)


def is_seasonal(y: np.ndarray, m: int, level: float = 0.90) -> bool:
    """M3 seasonality test at lag ``m`` (see ``models.kernels.seasonal.is_seasonal``)."""
    return _seasonal.is_seasonal(y, m, level)


def seasonal_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative indices by position ``t mod m`` (position 0 = first value).

    Args:
        y: positive series, shape (n,), n >= 2 m.
        m: season length.
    Returns:
        ndarray (m,), index of each position, mean 1.
    """
    return _seasonal.multiplicative_indices(y, np.arange(len(y)) % m, m)


def _ses_errors_missing(y: np.ndarray, alpha: float) -> tuple[np.ndarray, float, float]:
    # The level's one-step prediction is linear in the initial level l_0: run the recursion
    # for the data (l_0 = 0) and for l_0 = 1 at once. A missing month has no measurement
    # update, the level is carried over (what the Kalman filter does for ETS(A,N,N)).
    n = y.size
    ly, l1 = 0.0, 1.0
    fy = np.empty(n)
    f1 = np.empty(n)
    for i in range(n):
        fy[i], f1[i] = ly, l1
        if np.isfinite(y[i]):
            ly += alpha * (y[i] - ly)
            l1 -= alpha * l1
    obs = np.isfinite(y)
    l0 = float(f1[obs] @ (y[obs] - fy[obs])) / float(f1[obs] @ f1[obs])
    e = y - fy - f1 * l0
    return e, l0, ly + l1 * l0


def fit_ses(y: np.ndarray) -> tuple[float, float, np.ndarray]:
    """SES by least squares: ``alpha`` searched on (0, 1), initial level profiled.

    Missing values (NaN) carry the level over without an update and add no error.

    Args:
        y: series, shape (n,), n >= 2 observed values; NaN where not observed.
    Returns:
        alpha, final level l_T (same unit as y), one-step errors shape (n,), NaN where y is.
    """
    n = y.size
    if not np.all(np.isfinite(y)):
        res = minimize_scalar(lambda a: float(np.nansum(_ses_errors_missing(y, a)[0] ** 2)),
                              bounds=(1e-4, 0.9999), method="bounded",
                              options={"xatol": 1e-5})
        alpha = float(res.x)
        e, _, level = _ses_errors_missing(y, alpha)
        return alpha, level, e
    t = np.arange(n)

    def errors(alpha: float) -> tuple[np.ndarray, float, np.ndarray]:
        # l_t = alpha y_t + (1 - alpha) l_{t-1} from l_0 = 0, then the l_0 term added back.
        lev = lfilter([alpha], [1.0, alpha - 1.0], y)
        shifted = np.r_[0.0, lev[:-1]]
        p = (1.0 - alpha) ** t
        l0 = float(p @ (y - shifted)) / float(p @ p)
        e = y - shifted - p * l0
        return e, l0, lev

    res = minimize_scalar(lambda a: float(np.sum(errors(a)[0] ** 2)), bounds=(1e-4, 0.9999),
                          method="bounded", options={"xatol": 1e-5})
    alpha = float(res.x)
    e, l0, lev = errors(alpha)
    return alpha, float(lev[-1] + (1.0 - alpha) ** n * l0), e


def _damped_errors(y: np.ndarray, alpha: float, beta: float, phi: float,
                   ) -> tuple[np.ndarray, float, float]:
    # One-step errors are linear in the initial level and trend: run the recursion for the
    # data and for unit initial states at once, then solve the 2-parameter least squares.
    n = y.size
    ly = by = 0.0
    l1, b1, l2, b2 = 1.0, 0.0, 0.0, 1.0
    fy = np.empty(n)
    f1 = np.empty(n)
    f2 = np.empty(n)
    obs = np.isfinite(y)
    for i in range(n):
        py, p1, p2 = ly + phi * by, l1 + phi * b1, l2 + phi * b2
        fy[i], f1[i], f2[i] = py, p1, p2
        # A missing value has no measurement update: the states follow their prediction.
        ey, e1, e2 = (y[i] - py, -p1, -p2) if obs[i] else (0.0, 0.0, 0.0)
        ly, by = py + alpha * ey, phi * by + beta * ey
        l1, b1 = p1 + alpha * e1, phi * b1 + beta * e1
        l2, b2 = p2 + alpha * e2, phi * b2 + beta * e2
    a = np.column_stack([f1, f2])
    coef, *_ = np.linalg.lstsq(a[obs], (y - fy)[obs], rcond=None)
    e = y - fy - a @ coef
    return e, float(coef[0]), float(coef[1])


def _damped_states(y: np.ndarray, alpha: float, beta: float, phi: float, l0: float,
                   b0: float) -> tuple[float, float]:
    lev, tr = l0, b0
    for v in y:
        pred = lev + phi * tr
        err = v - pred if np.isfinite(v) else 0.0
        lev, tr = pred + alpha * err, phi * tr + beta * err
    return lev, tr


def fit_damped(y: np.ndarray) -> tuple[tuple[float, float, float], float, float, np.ndarray]:
    """Damped additive trend ETS(A,Ad,N) by least squares (Gardner & McKenzie 1985).

    Bounds as in ``forecast::ets``: alpha in (1e-4, 0.9999), beta in (1e-4, alpha),
    phi in [0.8, 0.98]; beta is searched as a share of alpha so the bound is a box.

    Missing values (NaN) get no measurement update and add no error.

    Args:
        y: series, shape (n,), n >= 4 observed values; NaN where not observed.
    Returns:
        (alpha, beta, phi), final level l_T, final trend b_T, one-step errors shape (n,)
        (NaN where y is).
    """
    def unpack(x: np.ndarray) -> tuple[float, float, float]:
        return float(x[0]), float(x[0] * x[1]), float(x[2])

    def sse(x: np.ndarray) -> float:
        e = _damped_errors(y, *unpack(x))[0]
        return float(np.nansum(e * e))

    res = minimize(sse, x0=np.array([0.3, 0.1, 0.95]), method="L-BFGS-B",
                   bounds=[(1e-4, 0.9999), (1e-4, 0.9999), (0.8, 0.98)],
                   options={"maxiter": 60})
    params = unpack(res.x)
    e, l0, b0 = _damped_errors(y, *params)
    lev, tr = _damped_states(y, *params, l0, b0)
    return params, lev, tr, e


def damped_point(level: float, trend: float, phi: float, steps: int) -> np.ndarray:
    """Damped trend point forecast ``l + (phi + ... + phi^h) b`` for h = 1..steps, shape (steps,)."""
    return level + np.cumsum(phi ** np.arange(1, steps + 1)) * trend


class _Adjusted(ForecastModel):
    """Shared machinery: seasonal adjustment, then a model of the adjusted series."""

    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 2
    # Missing months get no update of the smoothed states (the Kalman filter's rule for
    # these linear innovations forms); seasonal indices come from the observed months.
    handles_missing = True
    fits_quarterly = True

    def __init__(self, *, season_length: int = 12):
        self.season_length = season_length

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        # Months before the first figure carry nothing; the recursions start there.
        y = y[int(np.flatnonzero(np.isfinite(y))[0]):]
        m = self.season_length
        self.season_ = np.ones(max(m, 1))
        observed = y[np.isfinite(y)]
        self.seasonal_ = bool(m > 1 and np.all(observed > 0) and is_seasonal(y, m))
        if self.seasonal_:
            self.season_ = seasonal_indices(y, m)
        pos = np.arange(y.size) % max(m, 1)
        self.next_pos_ = int(y.size % max(m, 1))
        adjusted = y / self.season_[pos]
        e = self._fit_adjusted(adjusted)
        self.sigma_ = float(np.sqrt(np.nanmean(e ** 2)))

    def _future_season(self, horizon: int) -> np.ndarray:
        m = self.season_.size
        return self.season_[(self.next_pos_ + np.arange(horizon)) % m]

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """Analytic point forecast (the conditional mean), shape (horizon,), oz."""
        self._require_fitted("sigma_")
        return self._point_adjusted(horizon) * self._future_season(horizon)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        e = self.sigma_ * rng.standard_normal((n_paths, horizon))
        return self._simulate_adjusted(e) * self._future_season(horizon)[None, :]

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SES(_Adjusted):
    """Simple exponential smoothing of seasonally adjusted ounces (M3 ``SINGLE``)."""

    name = "ses"
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 1

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        self.alpha_, self.level_, e = fit_ses(y)
        return e

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.level_)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        past = np.cumsum(e, axis=1) - e
        return self.level_ + e + self.alpha_ * past


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


class Damped(_Adjusted):
    """Damped additive trend smoothing of seasonally adjusted ounces (M3 ``DAMPEN``)."""

    name = "damped"
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 2

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        (self.alpha_, self.beta_, self.phi_), self.level_, self.trend_, e = fit_damped(y)
        return e

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return damped_point(self.level_, self.trend_, self.phi_, horizon)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        n_paths, horizon = e.shape
        lev = np.full(n_paths, self.level_)
        tr = np.full(n_paths, self.trend_)
        out = np.empty_like(e)
        for h in range(horizon):
            pred = lev + self.phi_ * tr
            out[:, h] = pred + e[:, h]
            lev, tr = pred + self.alpha_ * e[:, h], self.phi_ * tr + self.beta_ * e[:, h]
        return out
