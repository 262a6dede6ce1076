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

from models._seasonal import PERIOD, log_ounces
from models.base import ForecastModel, observed_target
from models.errors import ModelDeclined

log = logging.getLogger(__name__)


def _fit_uc(z: np.ndarray, level: str, seasonal: bool, method: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod = UnobservedComponents(z, level=level, seasonal=PERIOD if seasonal else None,
                                   stochastic_seasonal=True)
        return mod.fit(disp=False, maxiter=500, method=method)


class StateSpace(ForecastModel):
    """Local level with drift + stochastic seasonal on log ounces; handles missing months."""

    name = "state_space"
    handles_missing = True
    min_history = 12
    complexity = 4

    def __init__(self, *, level: str = "lldtrend", seasonal_min_months: int = 24):
        """Args: level: statsmodels ``UnobservedComponents`` trend ("lldtrend": local level,
        fixed drift and irregular; "llevel", "lltrend", ...); seasonal_min_months: shortest
        span in months given a seasonal component."""
        self.level = level
        self.seasonal_min_months = seasonal_min_months

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        # Leading months before the first figure carry no information; trailing NaN months
        # stay (the filter predicts through them).
        first = int(np.flatnonzero(np.isfinite(y))[0])
        z, n_zero = log_ounces(y[first:])
        if n_zero:
            log.info("state_space: %d near-zero months treated as unobserved in logs", n_zero)
        seasonal = z.size >= self.seasonal_min_months
        # L-BFGS first; Powell (derivative-free) when L-BFGS stops on a flat stretch; then a
        # local level without seasonal.
        attempts = [(self.level, seasonal, "lbfgs"), (self.level, seasonal, "powell"),
                    ("llevel", False, "lbfgs")]
        chosen = None
        for level, seas, method in attempts:
            name = f"{level}{'+seasonal' if seas else ''} ({method})"
            try:
                res = _fit_uc(z, level, seas, method)
            except (np.linalg.LinAlgError, ValueError) as exc:
                log.warning("state_space: %s failed (%s)", name, exc)
                continue
            if not np.all(np.isfinite(res.params)):
                log.info("state_space: %s gave non-finite parameters", name)
                continue
            chosen = (res, level, seas, method, name)
            if res.mle_retvals.get("converged", True):
                break
            log.info("state_space: %s did not converge", name)
        if chosen is None:
            raise ModelDeclined("state_space: no specification could be fitted to this history")
        res, level, seas, method, name = chosen
        if not res.mle_retvals.get("converged", True):
            log.warning("state_space: keeping the non-converged %s fit", name)
        if (level, seas) != (self.level, seasonal):
            log.warning("state_space: fell back to %s", name)
        self.result_ = res
        self.spec_ = {"level": level, "seasonal": seas, "method": method}
        self.log_cap_ = float(np.nanmax(z)) + np.log(5.0)
        log.debug("state_space: %s, params %s", self.spec_, np.round(res.params, 5))

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            sim = self.result_.simulate(nsimulations=horizon, repetitions=n_paths,
                                        anchor="end", rng=rng)
        z = np.asarray(sim, dtype=float).reshape(horizon, n_paths).T
        # A random-walk level can wander far in logs; five times the record month is beyond
        # what a plant can mill and keeps expm1 finite.
        return np.expm1(np.minimum(z, self.log_cap_))
