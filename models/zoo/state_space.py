"""Structural state-space model fitted through missing months by the Kalman filter.

``log(1 + y_t) = mu_t + gamma_t + eps_t``: a local level with drift
(``mu_t = mu_{t-1} + b + eta_t``), a stochastic monthly seasonal ``gamma_t`` when the history
spans at least two years, and an irregular ``eps_t`` (Harvey 1989; Durbin & Koopman 2012;
statsmodels ``UnobservedComponents``). Missing months are NaN observations: the filter skips
their measurement update, so the state uncertainty grows across a gap and is carried into
the paths; near-zero months (shutdowns) are treated the same way, since a zero is no
value in logs. Paths are drawn by ``simulate(anchor="end")``, which starts each path from a draw of
the predicted state distribution after the last month. When the fit fails or does not
converge, the model falls back to a local level without seasonal and says so in the log.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from statsmodels.tsa.statespace.structural import UnobservedComponents

from models.core.base import ForecastModel, observed_target
from models.core.fitting import first_converged
from models.core.paths import simulated_paths
from models.kernels.log_scale import log_cap, log_ounces
from models.kernels.seasonal import PERIOD

log = logging.getLogger(__name__)


def _fit_uc(z: np.ndarray, level: str, seasonal: int | None, method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = UnobservedComponents(z, level=level, seasonal=seasonal or None,
                                   stochastic_seasonal=True)
        return mod.fit(disp=False, maxiter=500, method=method)


class StateSpace(ForecastModel):
    """Local level with drift + stochastic seasonal on log ounces; handles missing months."""

    name = "state_space"
    handles_missing = True
    min_history = 12
    complexity = 4

    def __init__(self, *, level: str = "lldtrend", seasonal_min_months: int = 24,
                 season_length: int = PERIOD):
        """Args: level: statsmodels ``UnobservedComponents`` trend ("lldtrend": local level,
        fixed drift and irregular; "llevel", "lltrend", ...); seasonal_min_months: shortest
        span in months given a seasonal component (two seasons of values for any
        ``season_length``); season_length: values per season (12 months, 4 quarters)."""
        self.level = level
        self.seasonal_min_months = seasonal_min_months
        self.season_length = season_length

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        # Leading months before the first figure carry no information; trailing NaN months
        # stay (the filter predicts through them).
        first = int(np.flatnonzero(np.isfinite(y))[0])
        z, n_zero = log_ounces(y[first:])
        if n_zero:
            log.info("state_space: %d near-zero months treated as unobserved in logs", n_zero)
        seasons = self.seasonal_min_months / PERIOD
        seasonal = self.season_length if z.size >= seasons * self.season_length else None
        # L-BFGS first; Powell (derivative-free) when L-BFGS stops on a flat stretch; then a
        # local level without seasonal.
        attempts = [(self.level, seasonal, "lbfgs"), (self.level, seasonal, "powell"),
                    ("llevel", None, "lbfgs")]
        res, (level, seas, method) = first_converged(
            "state_space", attempts, lambda a: _fit_uc(z, a[0], a[1], a[2]),
            lambda a: f"{a[0]}{'+seasonal' if a[1] else ''} ({a[2]})")
        name = f"{level}{'+seasonal' if seas else ''} ({method})"
        if (level, seas) != (self.level, seasonal):
            log.warning("state_space: fell back to %s", name)
        self.result_ = res
        self.spec_ = {"level": level, "seasonal": bool(seas), "method": method}
        self.log_cap_ = log_cap(z)
        log.debug("state_space: %s, params %s", self.spec_, np.round(res.params, 5))

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        z = simulated_paths(self.result_, horizon, n_paths, rng)
        # A random-walk level can wander far in logs: capped at the record multiple.
        return np.expm1(np.minimum(z, self.log_cap_))
