"""Dynamic Optimised Theta (DOTM) on seasonally adjusted ounces.

Method (Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler 2016, "Models for optimising
the Theta method and their relationship to state space models", IJF 32(4); R package
``forecTheta::dotm``):

1. Seasonal adjustment as in the M3 Theta method (``models.zoo.fast_smoothing``: 90 % lag-12
   autocorrelation test, classical multiplicative indices).
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

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

from models.zoo.fast_smoothing import SES

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
