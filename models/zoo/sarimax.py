"""Regression of log ounces on log ore tonnes with ARMA errors, future ore simulated or given.

Ounces: ``log(1 + y_t) = c' + beta' log x_t + u_t`` with ``u_t`` ARMA (statsmodels ``SARIMAX``,
regression with SARIMA errors; Hyndman & Athanasopoulos, FPP3 10). ``x_t`` holds ore
purchased tonnes, and ore processed tonnes when that column is complete.

The future ore tonnes are unknown at forecast time. Both ways are supported:
- scenario: ``future`` (indexed by the future months) gives the tonnes; a column or month left
  out (or NaN) is simulated conditionally on the given values;
- otherwise the ore columns are simulated jointly from their own seasonal log-VAR(1)
  (``models.kernels.seasonal.SeasonalLogVar``) and every ounce path is conditional on its own ore
  path, so ore uncertainty is carried into the ounces (joint simulation).
Because the regression part is additive, one ``simulate(anchor="end")`` of the ARMA errors
with a reference ore path, plus ``beta`` times each path's deviation from it, is exactly a
simulation conditional on each path's ore. Parameter uncertainty is not simulated.

Orders are fixed and small (AR(1) errors by default) to keep a fit well under a second
inside backtests; a fit that does not converge is retried with Powell's method, then as a
plain regression with white-noise errors, and the fallback is logged. Near-zero months
(shutdowns) are passed to the Kalman filter as missing, since a zero is no value in logs.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.statespace.sarimax import SARIMAX

from models.core.base import ForecastModel, observed_target
from models.core.calendar import month_of_year
from models.core.columns import TARGET
from models.core.fitting import first_converged
from models.core.scenario import ORE_PURCHASED, exog_columns_of, scenario_values
from models.kernels.ar import SeasonalLogVar
from models.kernels.log_scale import log_cap, log_ounces

log = logging.getLogger(__name__)

def _fit_sarimax(y: np.ndarray, x: np.ndarray, order: tuple, seasonal_order: tuple,
                 method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = SARIMAX(y, exog=x, order=order, seasonal_order=seasonal_order, trend="c")
        return mod.fit(disp=False, maxiter=500, method=method)


class SarimaxExog(ForecastModel):
    """Log ounces on log ore tonnes with AR errors; future ore from a scenario or simulated."""

    name = "sarimax"
    uses_exog = True
    required_columns = (TARGET, ORE_PURCHASED)
    min_history = 24
    complexity = 6

    def __init__(self, *, order: tuple[int, int, int] = (1, 0, 0),
                 seasonal_order: tuple[int, int, int, int] = (0, 0, 0, 0)):
        """Args: order, seasonal_order: SARIMA orders of the regression errors (months)."""
        self.order = order
        self.seasonal_order = seasonal_order

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        self.exog_columns_ = exog_columns_of(history)
        # SARIMAX is a state-space model: a near-zero month (shutdown) is passed as NaN and
        # the Kalman filter skips it, rather than letting log(1) distort the fit.
        y, n_zero = log_ounces(observed_target(history))
        if n_zero:
            log.info("sarimax: %d near-zero months treated as unobserved in logs", n_zero)
        x = np.log(np.maximum(history[self.exog_columns_].to_numpy(dtype=float), 1.0))
        # Centred regressors keep the intercept and slopes apart: uncentred log tonnes (~9)
        # make the likelihood surface a narrow valley where L-BFGS stops early.
        self.exog_center_ = x.mean(axis=0)
        xc = x - self.exog_center_
        spec = (tuple(self.order), tuple(self.seasonal_order))
        # L-BFGS first; Powell (derivative-free) when L-BFGS stops on a flat stretch; then
        # plain regression with white-noise errors.
        attempts = [(*spec, "lbfgs"), (*spec, "powell"), ((0, 0, 0), (0, 0, 0, 0), "lbfgs")]
        res, (_, _, method) = first_converged(
            "sarimax", attempts, lambda a: _fit_sarimax(y, xc, a[0], a[1], a[2]),
            lambda a: f"{a[0]}{a[1]} ({a[2]})")
        name = f"{res.model.order}{res.model.seasonal_order} ({method})"
        if (res.model.order, res.model.seasonal_order) != spec:
            log.warning("sarimax: fell back to %s", name)
        self.spec_ = {"order": res.model.order, "seasonal_order": res.model.seasonal_order,
                      "method": method}
        names = res.model.param_names
        params = np.asarray(res.params, dtype=float)
        self.beta_ = params[[names.index(n) for n in res.model.exog_names]]
        self.result_ = res
        self.last_log_ore_ = x[-1]
        self.exog_model_ = SeasonalLogVar().fit(history, self.exog_columns_)
        self.log_cap_ = log_cap(y)
        log.debug("sarimax: %s on %s, beta=%s", self.spec_, self.exog_columns_,
                  np.round(self.beta_, 3))

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        months = self.future_index(horizon)
        known = scenario_values(future, months, self.exog_columns_)
        if np.isfinite(known).all():
            log_ore = np.broadcast_to(np.log(np.maximum(known, 1.0)),
                                      (n_paths, horizon, known.shape[1]))
        else:
            tonnes = self.exog_model_.simulate(month_of_year(months), n_paths, rng, known)
            log_ore = np.log(np.maximum(tonnes, 1.0))
        ref = np.broadcast_to(self.last_log_ore_, (horizon, self.last_log_ore_.size))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = self.result_.simulate(nsimulations=horizon, repetitions=n_paths,
                                        anchor="end", exog=ref - self.exog_center_, rng=rng)
        z = np.asarray(sim, dtype=float).reshape(horizon, n_paths).T
        z = z + (log_ore - ref[None, :, :]) @ self.beta_
        return np.expm1(np.minimum(z, self.log_cap_))
