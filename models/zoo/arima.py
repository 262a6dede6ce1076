"""``arima``: automatic seasonal ARIMA, orders by AICc from a small stepwise search.

The algorithm of Hyndman & Khandakar (2008), "Automatic time series forecasting: the
forecast package for R", J. Stat. Softw. 27(3) (R ``forecast::auto.arima``; statsforecast's
AutoARIMA follows it too), with a smaller search for speed:

1. Seasonal differencing ``D`` (0 or 1): 1 when the STL seasonal strength of the series is
   above 0.64 (``seasonal_strength``: Wang, Smith & Hyndman 2006; the ``seasonal.test =
   "seas"`` rule of ``auto.arima`` and statsforecast), and only with at least three full
   seasons of data.
2. Differencing ``d`` (0 to ``max_d``, 1 by default; ``auto.arima`` allows 2) of the
   seasonally differenced series: repeated KPSS tests at 5 % (Kwiatkowski et al. 1992;
   statsmodels ``kpss``, short lag truncation as ``auto.arima``). ``max_d = 1`` scored better
   than 2 on a quarter of the M3 holdout series (BENCHMARKS.md, issue 28).
3. Orders of the ARMA part of ``w = (1 - B)^d (1 - B^m)^D y``: stepwise from the best of the
   four starting models (2,d,2)(1,D,1), (0,d,0)(0,D,0), (1,d,0)(1,D,0), (0,d,1)(0,D,1),
   moving one of p, q, P, Q (or p and q, or P and Q together) by one, and toggling the
   constant (a mean when d + D = 0, a drift when d + D = 1; none when d + D = 2), until no
   neighbour lowers AICc. Bounds p, q <= 2, P, Q <= 1, at most ``max_models`` models.
   During the search each model is fitted by conditional sum of squares (CSS: MINPACK
   Levenberg-Marquardt, scipy ``least_squares``, on the residuals of
   ``scipy.signal.lfilter``), as ``auto.arima`` does with ``approximation = TRUE``;
   candidates with a non-stationary AR or non-invertible MA part are rejected. Seasonal
   ARMA terms only when the differenced series spans three seasons and four months.
4. The chosen orders are refitted by exact maximum likelihood (statsmodels ``SARIMAX``,
   Kalman filter, from the CSS estimates) on ``w``; if that fails, the next best orders are
   tried. (``ml_refit=False`` forecasts with the CSS estimates instead: half the CPU, less
   accurate on the M3 holdout.)
5. Point forecast: the ARMA forecast of ``w`` integrated back through the differencing;
   sample paths: the fitted model's own simulation of ``w`` (Gaussian errors), integrated
   the same way, so the paths carry the model's accumulated uncertainty.

No Box-Cox transform (the ``auto.arima`` default). Gaps are not handled: the pipeline fits
on the months after the last gap. Only the order of values is read, so quarterly totals
(season length 4) work too.

Cost: about 0.14-0.2 CPU s per M3 monthly series (2026-12-06), more than the six members of
``auto`` together; it is not one of ``auto``'s members (BENCHMARKS.md, issue 28).
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.signal import lfilter

from models.core.base import ForecastModel, observed_target
from models.core.errors import ModelDeclined
from models.core.paths import simulated_paths

log = logging.getLogger(__name__)

#: STL seasonal strength above which the series is seasonally differenced (auto.arima)
SEASONAL_STRENGTH_D = 0.64

# (p, q, P, Q, constant)
Order = tuple[int, int, int, int, bool]


def seasonal_strength(y: np.ndarray, period: int) -> float:
    """STL seasonal strength ``max(0, 1 - var(R) / var(S + R))`` (Wang, Smith & Hyndman 2006).

    Args:
        y: series, shape (n,), any unit, no NaN, ``n >= 2 * period + 1``.
        period: season length (12 for months).
    Returns:
        Strength in [0, 1]; 0 when the series cannot be decomposed.
    """
    from statsmodels.tsa.seasonal import STL

    y = np.asarray(y, dtype=float)
    if period < 2 or y.size < 2 * period + 1 or not np.all(np.isfinite(y)):
        return 0.0
    res = STL(y, period=period).fit()
    sr = res.seasonal + res.resid
    var_sr = float(np.var(sr))
    if var_sr <= 0.0:
        return 0.0
    return max(0.0, 1.0 - float(np.var(res.resid)) / var_sr)


def _kpss_stationary(y: np.ndarray, alpha: float = 0.05) -> bool:
    """True when KPSS (level) does not reject stationarity at ``alpha`` (or cannot run)."""
    from statsmodels.tsa.stattools import kpss

    if y.size < 8 or float(np.ptp(y)) == 0.0:
        return True
    # auto.arima's short lag truncation: trunc(4 (n / 100)^(1/4)) (Kwiatkowski et al. 1992).
    lags = max(1, int(4 * (y.size / 100.0) ** 0.25))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            p_value = kpss(y, regression="c", nlags=lags)[1]
        except (ValueError, np.linalg.LinAlgError, OverflowError):
            return True
    return bool(p_value >= alpha)


def difference_polynomial(d: int, seasonal_d: int, m: int) -> np.ndarray:
    """Coefficients ``c`` of ``(1 - B)^d (1 - B^m)^D`` in powers of B, ``c[0] = 1``."""
    poly = np.array([1.0])
    for _ in range(d):
        poly = np.convolve(poly, [1.0, -1.0])
    for _ in range(seasonal_d):
        seasonal = np.zeros(m + 1)
        seasonal[0], seasonal[m] = 1.0, -1.0
        poly = np.convolve(poly, seasonal)
    return poly


def integrate(w_future: np.ndarray, y_past: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Undo the differencing ``poly`` along the last axis.

    Args:
        w_future: differenced future values, shape (..., horizon).
        y_past: the series before them, shape (n,), ``n >= len(poly) - 1``.
        poly: ``difference_polynomial`` output.
    Returns:
        Future values of the series, shape of ``w_future``:
        ``y_t = w_t - sum_{k >= 1} poly[k] y_{t-k}``.
    """
    k = poly.size - 1
    if k == 0:
        return np.array(w_future, dtype=float)
    horizon = w_future.shape[-1]
    lead = np.broadcast_to(y_past[-k:], (*w_future.shape[:-1], k))
    out = np.concatenate([lead, np.zeros_like(w_future)], axis=-1)
    tail = -poly[1:][::-1]  # weights of y_{t-k} .. y_{t-1}
    for h in range(horizon):
        out[..., k + h] = w_future[..., h] + out[..., h:h + k] @ tail
    return out[..., k:]


def _polys(params: np.ndarray, order: Order, m: int) -> tuple[np.ndarray, np.ndarray, float]:
    """AR and MA polynomials (coefficients in B, leading 1) and mean from CSS parameters
    ``[phi_1..p, theta_1..q, Phi_1..P, Theta_1..Q, (mu)]``."""
    p, q, sp, sq, const = order
    i = 0
    phi, i = params[i:i + p], i + p
    theta, i = params[i:i + q], i + q
    sphi, i = params[i:i + sp], i + sp
    stheta, i = params[i:i + sq], i + sq
    mu = float(params[i]) if const else 0.0
    ar = np.concatenate([[1.0], -phi])
    ma = np.concatenate([[1.0], theta])
    if sp:
        s = np.zeros(m * sp + 1)
        s[0] = 1.0
        s[m::m] = -sphi
        ar = np.convolve(ar, s)
    if sq:
        s = np.zeros(m * sq + 1)
        s[0] = 1.0
        s[m::m] = stheta
        ma = np.convolve(ma, s)
    return ar, ma, mu


def _roots_ok(poly: np.ndarray) -> bool:
    """True when every root of ``poly`` (coefficients in B) lies outside the unit circle."""
    if poly.size <= 1 or not np.any(poly[1:]):
        return True
    roots = np.roots(poly[::-1])
    return bool(np.all(np.abs(roots) > 1.001))


def fit_css(w: np.ndarray, order: Order, m: int) -> tuple[float, np.ndarray] | None:
    """Conditional-sum-of-squares fit of an ARMA(p,q)(P,Q)_m with optional mean to ``w``.

    Args:
        w: differenced series, shape (n,).
        order: (p, q, P, Q, constant).
        m: season length.
    Returns:
        (AICc, parameters) or None when the fit is not admissible (too few values,
        non-stationary AR or non-invertible MA part, non-finite).
    """
    p, q, sp, sq, const = order
    k = p + q + sp + sq + int(const)
    ncond = p + m * sp
    n_used = w.size - ncond
    if n_used - k - 2 <= 0 or n_used < 3 * (k + 1):
        return None

    def resid(params: np.ndarray) -> np.ndarray:
        ar, ma, mu = _polys(params, order, m)
        u = np.convolve(w - mu, ar)[:w.size]
        u[:ncond] = 0.0
        return lfilter([1.0], ma, u)[ncond:]

    x0 = np.zeros(k)
    if const:
        x0[-1] = float(np.mean(w))
    if k == 0:
        params = x0
        e = resid(params)
    else:
        # Levenberg-Marquardt (MINPACK), unbounded: admissibility is checked after.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sol = least_squares(resid, x0, method="lm", xtol=1e-4, ftol=1e-4,
                                max_nfev=50 * (k + 1), x_scale="jac")
        params = sol.x
        e = sol.fun
    ar, ma, _ = _polys(params, order, m)
    if not (_roots_ok(ar) and _roots_ok(ma)):
        return None
    sse = float(e @ e)
    if not np.isfinite(sse) or sse <= 0.0:
        return None
    sigma2 = sse / n_used
    npar = k + 1
    aicc = n_used * np.log(sigma2) + 2 * npar + 2 * npar * (npar + 1) / (n_used - npar - 1)
    return float(aicc), params


class AutoARIMA(ForecastModel):
    """Seasonal ARIMA with orders by AICc, stepwise (Hyndman & Khandakar 2008); oz paths."""

    name = "arima"
    # A year of months at least, as the other automatic members.
    min_history = 12
    complexity = 4
    fits_quarterly = True

    def __init__(self, *, season_length: int = 12, max_p: int = 2, max_q: int = 2,
                 max_seasonal: int = 1, max_d: int = 1, min_seasons: int = 3,
                 max_models: int = 30, ml_refit: bool = True):
        """Args:
            season_length: months in a season (12; 4 on quarterly totals).
            max_p, max_q: largest non-seasonal AR and MA orders searched.
            max_seasonal: largest seasonal AR and MA orders searched (P, Q).
            max_d: most non-seasonal differences (KPSS-tested one at a time).
            min_seasons: fewest full seasons of data for seasonal differencing.
            max_models: most models fitted by CSS in the stepwise search.
            ml_refit: refit the chosen orders by exact maximum likelihood (else forecast
                with the CSS estimates).
        """
        self.season_length = season_length
        self.max_p = max_p
        self.max_q = max_q
        self.max_seasonal = max_seasonal
        self.max_d = max_d
        self.min_seasons = min_seasons
        self.max_models = max_models
        self.ml_refit = ml_refit

    # -- fit -------------------------------------------------------------------------------
    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        y = y[int(np.flatnonzero(np.isfinite(y))[0]):]
        m = int(self.season_length)
        seasonal_ok = m > 1 and y.size >= max(self.min_seasons * m, 2 * m + 1)
        big_d = int(seasonal_ok and seasonal_strength(y, m) > SEASONAL_STRENGTH_D)
        x = np.convolve(y, difference_polynomial(0, big_d, m))[m * big_d:y.size] \
            if big_d else y
        d = 0
        while d < self.max_d and x.size > 12 and not _kpss_stationary(x):
            x = np.diff(x)
            d += 1
        self.poly_ = difference_polynomial(d, big_d, m)
        self.y_ = y
        w = np.convolve(y, self.poly_)[self.poly_.size - 1:y.size]
        self.d_, self.big_d_ = d, big_d
        if w.size < 4:
            raise ModelDeclined(f"{self.name}: {y.size} values leave {w.size} after "
                                "differencing, too few to fit")
        # Seasonal ARMA terms only when the differenced series spans enough seasons.
        self.m_ = m if (m > 1 and w.size >= 3 * m + 4) else 1
        ranked = self._search(w)
        if not ranked:
            raise ModelDeclined(f"{self.name}: no ARIMA order could be fitted")
        for aicc, order, params in ranked[:3]:
            result = self._fit_ml(w, order, params)
            if result is not None:
                self.result_, self.order_, self.aicc_css_ = result, order, aicc
                break
        else:
            raise ModelDeclined(f"{self.name}: maximum likelihood failed for the best orders")
        p, q, sp, sq, const = self.order_
        self.spec_ = (f"ARIMA({p},{d},{q})({sp},{big_d},{sq})[{m}]"
                      f"{' with constant' if const else ''}")
        log.debug("arima selected %s", self.spec_)

    def _search(self, w: np.ndarray) -> list[tuple[float, Order, np.ndarray]]:
        """Stepwise search (Hyndman & Khandakar 2008, 3.2): fitted models, best AICc first."""
        m = self.m_
        seas = self.max_seasonal if m > 1 else 0
        const_ok = self.d_ + self.big_d_ < 2
        fitted: dict[Order, tuple[float, np.ndarray] | None] = {}

        def clip(o: Order) -> Order | None:
            p, q, sp, sq, c = o
            if not (0 <= p <= self.max_p and 0 <= q <= self.max_q and 0 <= sp <= seas
                    and 0 <= sq <= seas):
                return None
            return (p, q, sp, sq, c and const_ok)

        def try_order(o: Order | None) -> None:
            if o is None or o in fitted or len(fitted) >= self.max_models:
                return
            fitted[o] = fit_css(w, o, m)

        for start in ((2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)):
            try_order(clip((*start, True)))

        def best() -> Order | None:
            ok = [(v[0], o) for o, v in fitted.items() if v is not None]
            return min(ok)[1] if ok else None

        current = best()
        while current is not None and len(fitted) < self.max_models:
            p, q, sp, sq, c = current
            for o in ((p - 1, q, sp, sq, c), (p + 1, q, sp, sq, c), (p, q - 1, sp, sq, c),
                      (p, q + 1, sp, sq, c), (p, q, sp - 1, sq, c), (p, q, sp + 1, sq, c),
                      (p, q, sp, sq - 1, c), (p, q, sp, sq + 1, c),
                      (p - 1, q - 1, sp, sq, c), (p + 1, q + 1, sp, sq, c),
                      (p, q, sp - 1, sq - 1, c), (p, q, sp + 1, sq + 1, c),
                      (p, q, sp, sq, not c)):
                try_order(clip(o))
            new = best()
            if new == current:
                break
            current = new
        ranked = [(v[0], o, v[1]) for o, v in fitted.items() if v is not None]
        ranked.sort(key=lambda r: r[0])
        return ranked

    def _fit_ml(self, w: np.ndarray, order: Order, css: np.ndarray):
        """Exact ML (statsmodels SARIMAX) of ``order`` on ``w``, from the CSS estimates."""
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        p, q, sp, sq, const = order
        m = self.m_
        ar, _, mu = _polys(css, order, m)
        start = np.concatenate([[mu * float(ar.sum())] if const else [], css[:p],
                                css[p:p + q], css[p + q:p + q + sp],
                                css[p + q + sp:p + q + sp + sq]])
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = SARIMAX(w, order=(p, 0, q),
                                seasonal_order=(sp, 0, sq, m) if m > 1 else (0, 0, 0, 0),
                                trend="c" if const else "n", concentrate_scale=True)
                if self.ml_refit:
                    res = model.fit(start_params=start if start.size else None, disp=False,
                                    maxiter=50)
                else:
                    # The CSS estimates as they are: one Kalman filter pass for the
                    # states, the scale concentrated out.
                    res = model.filter(start)
        except (ValueError, np.linalg.LinAlgError) as exc:
            log.debug("arima ML %s failed: %s", order, exc)
            return None
        if not np.isfinite(res.llf) or not np.all(np.isfinite(res.params)):
            return None
        return res

    # -- forecasts -------------------------------------------------------------------------
    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """The ARIMA point forecast, shape (horizon,), same unit as the history, floored at 0."""
        self._require_fitted("result_")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w_future = np.asarray(self.result_.forecast(horizon), dtype=float)
        point = integrate(w_future, self.y_, self.poly_)
        return np.maximum(np.nan_to_num(point, nan=0.0, posinf=0.0, neginf=0.0), 0.0)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        w_paths = simulated_paths(self.result_, horizon, n_paths, rng)
        paths = integrate(w_paths, self.y_, self.poly_)
        return np.nan_to_num(paths, nan=0.0, posinf=0.0, neginf=0.0)
