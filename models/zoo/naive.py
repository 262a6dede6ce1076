"""The naive forecast (last observed month carried forward), the last-resort fallback.

Hyndman & Athanasopoulos, FPP3 5.2: ``y[T+h] = y[T]``. On a short history the sample paths
are a random walk from the last observed month whose steps are drawn from the observed
month-to-month changes, centred on zero (no steps when only one month is observed: the
paths are then flat). The naive model has no drift: uncentred changes of a short, rising
history would make its paths climb away from its own point forecast (three months of a
rising rainy-season recovery, bootstrapped, put the median 2016 path 47% above the year's
actual). Used when not even the seasonal naive model (13 months) can be fitted.

With at least two years of whole past trajectories (``models.kernels.trajectories``), the
paths are the series' own: the last month carried forward plus the centred change the
months took after a past month, at today's level. A random walk of monthly changes would
accumulate every month's noise into a year's total that is several times too wide.

When the plant's seasonal profile can be estimated (``models.zoo.season``: two years of
months, or quarterly totals), the months are divided by it first and the forecast multiplied
back: the M3 ``NAIVE2``. A December figure is then carried forward as December's share of
the year, not as every month's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target
from models.kernels.trajectories import level_trajectories
from models.zoo.season import calendar_profile, season_ahead, season_at


class Naive(ForecastModel):
    """y[T+h] = y[T]; paths by the series' own past trajectories, or a random walk with
    bootstrapped monthly changes when the history holds too few of them (oz)."""

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
        known = np.flatnonzero(np.isfinite(y))
        observed = y[known]
        self.adjusted_ = y
        self.last_oz_ = float(observed[-1])  # seasonally adjusted when a profile is known
        # Months between the last figure and the end of the history (trajectories step
        # through them; the random walk of the fallback starts at the end).
        self.gap_after_ = int(y.size - 1 - known[-1])
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
        season = self._future_season(horizon)[None, :]
        traj = level_trajectories(self.adjusted_, self.gap_after_ + horizon)
        if traj is not None:
            return (self.last_oz_ + traj.draw(rng, n_paths)[:, self.gap_after_:]) * season
        if self.steps_.size == 0:
            paths = np.full((n_paths, horizon), self.last_oz_)
        else:
            steps = rng.choice(self.steps_, size=(n_paths, horizon), replace=True)
            paths = self.last_oz_ + np.cumsum(steps, axis=1)
        return paths * season
