"""The naive forecast (last observed month carried forward), the last-resort fallback.

Hyndman & Athanasopoulos, FPP3 5.2: ``y[T+h] = y[T]``. Sample paths are a random walk from
the last observed month whose steps are drawn from the observed month-to-month changes,
centred on zero (no steps when only one month is observed: the paths are then flat). The
naive model has no drift: uncentred changes of a short, rising history would make its paths
climb away from its own point forecast (three months of a rising rainy-season recovery,
bootstrapped, put the median 2016 path 47% above the year's actual). Used when not even the
seasonal naive model (13 months) can be fitted.

When the plant's seasonal profile can be estimated (``models.zoo.season``: two years of
months, or quarterly totals), the months are divided by it first and the forecast multiplied
back: the M3 ``NAIVE2``. A December figure is then carried forward as December's share of
the year, not as every month's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target
from models.zoo.season import calendar_profile, season_ahead, season_at


class Naive(ForecastModel):
    """y[T+h] = y[T]; paths by a random walk with bootstrapped monthly changes (oz)."""

    name = "naive"
    handles_missing = True
    fits_quarterly = True
    # Quarterly totals give the seasonal profile of a plant with too few months.
    uses_periods = True
    min_history = 1
    complexity = 0
    # The last resort must answer: a plant that has only reported zeros is forecast at zero.
    needs_production = False

    def __init__(self) -> None:
        pass

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        self.season_, _ = calendar_profile(history, periods)
        y = observed_target(history) / season_at(self.season_, history.index)
        observed = y[np.isfinite(y)]
        self.last_oz_ = float(observed[-1])  # seasonally adjusted when a profile is known
        steps = np.diff(observed)
        self.steps_ = steps - steps.mean() if steps.size else steps

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """The last observed month (seasonally adjusted) repeated and re-seasonalised, shape
        (horizon,), oz."""
        return np.full(horizon, self.last_oz_) * self._future_season(horizon)

    def _future_season(self, horizon: int) -> np.ndarray:
        return season_ahead(self.season_, self.last_month_, horizon)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        if self.steps_.size == 0:
            paths = np.full((n_paths, horizon), self.last_oz_)
        else:
            steps = rng.choice(self.steps_, size=(n_paths, horizon), replace=True)
            paths = self.last_oz_ + np.cumsum(steps, axis=1)
        return paths * self._future_season(horizon)[None, :]
