"""The naive forecast (last observed month carried forward), the last-resort fallback.

Hyndman & Athanasopoulos, FPP3 5.2: ``y[T+h] = y[T]``. Sample paths are a random walk from
the last observed month whose steps are drawn from the observed month-to-month changes,
centred on zero (no steps when only one month is observed: the paths are then flat). The
naive model has no drift: uncentred changes of a short, rising history would make its paths
climb away from its own point forecast (three months of a rising rainy-season recovery,
bootstrapped, put the median 2016 path 47% above the year's actual). Used when not even the
seasonal naive model (13 months) can be fitted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target


class Naive(ForecastModel):
    """y[T+h] = y[T]; paths by a random walk with bootstrapped monthly changes (oz)."""

    name = "naive"
    handles_missing = True
    fits_quarterly = True
    min_history = 1
    complexity = 0
    # The last resort must answer: a plant that has only reported zeros is forecast at zero.
    needs_production = False

    def __init__(self) -> None:
        pass

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        observed = y[np.isfinite(y)]
        self.last_oz_ = float(observed[-1])
        steps = np.diff(observed)
        self.steps_ = steps - steps.mean() if steps.size else steps

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """The last observed month repeated, shape (horizon,), oz."""
        return np.full(horizon, self.last_oz_)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        if self.steps_.size == 0:
            return np.full((n_paths, horizon), self.last_oz_)
        steps = rng.choice(self.steps_, size=(n_paths, horizon), replace=True)
        return self.last_oz_ + np.cumsum(steps, axis=1)
