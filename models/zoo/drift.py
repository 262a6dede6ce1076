"""Random walk with drift (Hyndman & Athanasopoulos, FPP3 5.2).

``y_t = y_{t-1} + c + e_t``; the drift ``c = (y_T - y_1) / (T - 1)`` is the mean monthly change.
Paths accumulate innovations from the last observed month: each path draws its own drift
from ``N(c, sigma^2 / (T - 1))`` (the estimate's sampling error) and then adds innovations,
either Gaussian with the residual standard deviation or resampled residuals. The h-step
variance is then ``sigma^2 h (1 + h / (T - 1))``, the FPP3 interval for the drift method.

Missing months are skipped, not filled: the drift is the change from the first to the last
observed value divided by the months between them, and the residuals are the changes
between consecutive observed months less the drift over their distance. Paths start from
the last observed month, so a gap at the end is simulated through.

With at least two years of whole past trajectories (``models.kernels.trajectories``), the
innovations are the series' own instead: each path is the drift line plus the centred
change the months took after a past month, at today's level. An accumulated random walk of
monthly noise would make a year's total several times too wide.

When the plant's seasonal profile can be estimated (``models.zoo.season``), the walk runs on
the seasonally adjusted months and its paths are multiplied back by the profile, as the M3
benchmarks adjust every non-seasonal method.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target
from models.kernels.trajectories import level_trajectories
from models.zoo.season import calendar_profile, season_ahead, season_at

log = logging.getLogger(__name__)


class Drift(ForecastModel):
    """Random walk with drift on monthly ounces; paths by accumulated simulated innovations."""

    name = "drift"
    # The drift of a few months is mostly noise (e.g. a rainy-season dip read as a trend).
    min_history = 12
    complexity = 1
    handles_missing = True
    fits_quarterly = True
    # Quarterly totals give the seasonal profile of a plant with too few months.
    uses_periods = True

    def __init__(self, *, bootstrap: bool = False):
        """Args: bootstrap: resample residuals instead of drawing Gaussian innovations (in
        the random walk used when the history holds too few whole past trajectories)."""
        self.bootstrap = bootstrap

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        self.season_, _ = calendar_profile(history, periods)
        y = observed_target(history) / season_at(self.season_, history.index)
        self.adjusted_ = y
        t = np.flatnonzero(np.isfinite(y))
        obs = y[t]
        self.last_oz_ = float(obs[-1])
        # Months between the last figure and the end of the history are simulated too.
        self.gap_after_ = int(y.size - 1 - t[-1])
        span = float(t[-1] - t[0])
        self.drift_oz_ = float(obs[-1] - obs[0]) / span if span else 0.0
        steps, dist = np.diff(obs), np.diff(t).astype(float)
        # A change over d months has d times the variance of a one-month change.
        self.residuals_ = (steps - self.drift_oz_ * dist) / np.sqrt(dist)
        self.n_diffs_ = int(span)
        self.sigma_oz_ = float(np.sqrt(np.sum(self.residuals_ ** 2)
                                       / max(self.residuals_.size - 1, 1)))
        log.debug("drift: c=%.1f oz/month, sigma=%.1f oz over %d months", self.drift_oz_,
                  self.sigma_oz_, self.n_diffs_)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        steps_out = self.gap_after_ + horizon
        steps = np.arange(1, steps_out + 1)[None, :]
        traj = level_trajectories(self.adjusted_, steps_out)
        if traj is not None:
            # Centred on the mean trend, the past trajectories already hold how far the
            # level strayed from it: the drift is not drawn a second time.
            line = self.last_oz_ + self.drift_oz_ * steps
            return self._seasonal(line + traj.draw(rng, n_paths), horizon)
        drift = self.drift_oz_ + self.sigma_oz_ / np.sqrt(max(self.n_diffs_, 1)) * \
            rng.standard_normal((n_paths, 1))
        line = self.last_oz_ + drift * steps
        if self.bootstrap:
            shocks = rng.choice(self.residuals_, size=(n_paths, steps_out), replace=True)
        else:
            shocks = self.sigma_oz_ * rng.standard_normal((n_paths, steps_out))
        return self._seasonal(line + np.cumsum(shocks, axis=1), horizon)

    def _seasonal(self, paths: np.ndarray, horizon: int) -> np.ndarray:
        """Paths of the seasonally adjusted months from the last figure on, shape
        (n_paths, gap + horizon), as the ``horizon`` months after the history, oz."""
        season = season_ahead(self.season_, self.last_month_, horizon)
        return paths[:, self.gap_after_:] * season[None, :]
