"""Random walk with drift (Hyndman & Athanasopoulos, FPP3 5.2).

``y_t = y_{t-1} + c + e_t``; the drift ``c = (y_T - y_1) / (T - 1)`` is the mean monthly change.
Paths accumulate innovations from the last observed month: each path draws its own drift
from ``N(c, sigma^2 / (T - 1))`` (the estimate's sampling error) and then adds innovations,
either Gaussian with the residual standard deviation or resampled residuals. The h-step
variance is then ``sigma^2 h (1 + h / (T - 1))``, the FPP3 interval for the drift method.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from models.base import ForecastModel, observed_target

log = logging.getLogger(__name__)


class Drift(ForecastModel):
    """Random walk with drift on monthly ounces; paths by accumulated simulated innovations."""

    name = "drift"
    # The drift of a few months is mostly noise (e.g. a rainy-season dip read as a trend).
    min_history = 12
    complexity = 1

    def __init__(self, *, bootstrap: bool = False):
        """Args: bootstrap: resample residuals instead of drawing Gaussian innovations."""
        self.bootstrap = bootstrap

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        diffs = np.diff(y)
        self.last_oz_ = float(y[-1])
        self.drift_oz_ = float(diffs.mean())
        self.residuals_ = diffs - self.drift_oz_
        self.sigma_oz_ = float(np.sqrt(np.sum(self.residuals_ ** 2) / max(diffs.size - 1, 1)))
        self.n_diffs_ = int(diffs.size)
        log.debug("drift: c=%.1f oz/month, sigma=%.1f oz over %d changes", self.drift_oz_,
                  self.sigma_oz_, self.n_diffs_)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        drift = self.drift_oz_ + self.sigma_oz_ / np.sqrt(self.n_diffs_) * rng.standard_normal(
            (n_paths, 1))
        if self.bootstrap:
            shocks = rng.choice(self.residuals_, size=(n_paths, horizon), replace=True)
        else:
            shocks = self.sigma_oz_ * rng.standard_normal((n_paths, horizon))
        steps = np.arange(1, horizon + 1)[None, :]
        return self.last_oz_ + drift * steps + np.cumsum(shocks, axis=1)
