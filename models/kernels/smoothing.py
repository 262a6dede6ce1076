"""Exponential smoothing kernels: numpy in, numpy out, on a (seasonally adjusted) series.

Simple exponential smoothing ETS(A,N,N), the damped additive trend ETS(A,Ad,N) (Gardner &
McKenzie 1985), SES with drift (Hyndman & Billah 2003), the Dynamic Optimised Theta fit
(Fiorucci et al. 2016) and block means for temporal aggregation (Kourentzes et al. 2014).
Parameters minimise the in-sample sum of squared one-step errors; initial states are
profiled out by linear least squares (the one-step forecasts are linear in them), so the
numerical search runs over the smoothing parameters only. Missing values (NaN) get no
update of the states (the Kalman filter's rule for these linear innovations forms).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, minimize_scalar
from scipy.signal import lfilter


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


#: upper bound of c = 1 - 1/theta (theta <= 10)
C_MAX = 0.9
#: first one-step errors left out of the fit: A_t, B_t need two observations
_SKIP = 2


def running_trend(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Intercept ``A_t`` and slope ``B_t`` of the OLS line of ``y_1..y_t`` on ``1..t``.

    Args:
        y: gap-free series, shape (n,), any unit.
    Returns:
        A, B: shape (n,) each, ``A`` in the unit of ``y``, ``B`` in that unit per month;
        ``B_1 = 0`` and ``A_1 = y_1``.
    """
    y = np.asarray(y, dtype=float)
    t = np.arange(1, y.size + 1, dtype=float)
    s = np.cumsum(y)
    st = np.cumsum(t * y)
    b = np.zeros(y.size)
    tt = t[1:]
    b[1:] = 6.0 / (tt ** 2 - 1.0) * (2.0 / tt * st[1:] - (1.0 + tt) / tt * s[1:])
    return s / t - (t + 1.0) / 2.0 * b, b


def fit_dotm(y: np.ndarray) -> tuple[float, float, float, np.ndarray]:
    """Fit DOTM (Fiorucci et al. 2016) by least squares of the one-step errors.

    Args:
        y: gap-free series, shape (n,), n >= 3.
    Returns:
        alpha, c = 1 - 1/theta, final level l_n (unit of y), one-step errors shape (n - 2,).
    """
    y = np.asarray(y, dtype=float)
    n = y.size
    t = np.arange(1, n + 1, dtype=float)
    a_run, b_run = running_trend(y)
    a_prev = np.r_[y[0], a_run[:-1]]
    b_prev = np.r_[0.0, b_run[:-1]]

    def solve(alpha: float) -> tuple[float, float, float, np.ndarray, np.ndarray]:
        lev = lfilter([alpha], [1.0, alpha - 1.0], y)  # l_t from l_0 = 0
        prev = np.r_[0.0, lev[:-1]]
        decay = (1.0 - alpha) ** (t - 1.0)  # weight of l_0 in l_{t-1}
        g = decay * a_prev + (1.0 - (1.0 - alpha) ** t) / alpha * b_prev
        r = (y - prev)[_SKIP:]
        x = np.column_stack([decay, g])[_SKIP:]
        (l0, c), *_ = np.linalg.lstsq(x, r, rcond=None)
        if not 0.0 <= c <= C_MAX:
            # theta outside [1, 10]: hold c at the bound and refit l_0 alone
            c = float(np.clip(c, 0.0, C_MAX))
            l0 = float(x[:, 0] @ (r - c * x[:, 1])) / float(x[:, 0] @ x[:, 0])
        e = r - l0 * x[:, 0] - c * x[:, 1]
        return float(e @ e), float(l0), float(c), lev, e

    res = minimize_scalar(lambda a: solve(a)[0], bounds=(0.01, 0.99), method="bounded",
                          options={"xatol": 1e-4})
    alpha = float(res.x)
    _, l0, c, lev, e = solve(alpha)
    return alpha, c, float(lev[-1] + (1.0 - alpha) ** n * l0), e


#: aggregation levels in months: the factors of a 12-month season
LEVELS = (1, 2, 3, 4, 6, 12)
#: fewest blocks a level needs (fit_damped's minimum)
MIN_BLOCKS = 4


def block_means(y: np.ndarray, k: int) -> np.ndarray:
    """Means of consecutive blocks of ``k`` values ending at the last one, shape (n // k,)."""
    n = (y.size // k) * k
    return y[y.size - n:].reshape(-1, k).mean(axis=1)
