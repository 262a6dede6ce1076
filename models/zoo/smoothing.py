"""Fast exponential smoothing on seasonally adjusted series: SES, damped trend, and the
damped trend across temporal aggregation levels (``damped_mapa``).

These are the classical M3 benchmarks (Makridakis & Hibon 2000), written for speed so that
thousands of series can be fitted in minutes:

1. Seasonal adjustment: divide by the plant's seasonal profile (``models.zoo.season``):
   classical multiplicative indices (ratio to a centred moving average, Hyndman &
   Athanasopoulos, FPP3 3.4) shrunk toward 1 by James-Stein (Miller & Williams 2003), from
   the months, or from the quarterly totals when the months are too few. The M3 rule --
   adjust only when the lag-12 autocorrelation is significant at 90 % -- was replaced: on
   plants whose rainy season is real but small next to their noise it often rejected the
   season (always with the 20 months of a plant published like the reference plant), and a
   forecast from December then carried December's level into the whole next year
   (BENCHMARKS.md, "Where the misses came from"). Indices are kept by
   position in the season, so a ``season_length`` other than 12 (4 for quarterly totals)
   works too; with 12 the positions follow the calendar.
2. On the adjusted series, one of
   - ``ses``: simple exponential smoothing, ETS(A,N,N);
   - ``damped``: Gardner & McKenzie (1985) damped additive trend, ETS(A,Ad,N), the M3
     ``DAMPEN`` benchmark;
   - ``damped_mapa``: the damped trend fitted at aggregation levels 1-12 and combined
     (below);
   - the Theta members on the same machinery are ``models.zoo.theta``.
   Parameters minimise the in-sample sum of squared one-step errors; initial states are
   profiled out by linear least squares (``models.kernels.smoothing``).
3. Point forecasts (``point_forecast``) are analytic; sample paths simulate the state-space
   form with Gaussian errors of the in-sample one-step standard deviation, then are
   multiplied back by the seasonal indices.

``damped_mapa``: damped trend smoothing across temporal aggregation levels (MAPA-style).

A trend fitted to monthly values chases the last few months; the same series summed into
quarters or years shows the trend with less noise. The Multiple Aggregation Prediction
Algorithm (Kourentzes, Petropoulos & Trapero 2014) fits a model at several aggregation
levels and combines the forecasts; temporal hierarchies (THieF, Athanasopoulos et al.
2017) use the factors of the season length as the levels. Here:

1. Seasonal adjustment as for the other fast smoothing members (shrunk classical
   multiplicative indices).
2. For each level ``k`` in 1, 2, 3, 4, 6, 12 (the factors of 12), the adjusted series is cut
   into blocks of ``k`` months ending at the last month (older months that do not fill a
   block are left out) and each block replaced by its mean, so every level is in monthly
   units. A level with fewer than 4 blocks (the fewest ``fit_damped`` accepts) is skipped.
3. Damped additive trend, ETS(A,Ad,N), fitted by least squares at every level; each
   level's forecast of block ``j`` stands for the ``k`` months of that block.
4. The point forecast is the mean over levels, month by month, multiplied back by the
   seasonal indices. Sample paths are the monthly (k = 1) model's simulated paths moved by
   the difference between the combined and the monthly point forecasts, so their spread is
   the monthly model's own one-step uncertainty.

Added to ``auto`` after the holdouts inside the M3 training parts (BENCHMARKS.md): alone it
scored MASE 0.874 and 0.782 at two holdout origins against 0.949 and 0.835 for the monthly
damped trend.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, observed_target
from models.kernels.seasonal import PERIOD, shrunk_indices
from models.kernels.smoothing import (
    LEVELS,
    MIN_BLOCKS,
    block_means,
    damped_point,
    fit_damped,
    fit_ses,
)
from models.zoo.season import calendar_profile, season_ahead

log = logging.getLogger(__name__)


class _Adjusted(ForecastModel):
    """Shared machinery: seasonal adjustment, then a model of the adjusted series."""

    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 2
    # Missing months get no update of the smoothed states (the Kalman filter's rule for
    # these linear innovations forms); seasonal indices come from the observed months.
    handles_missing = True
    fits_quarterly = True
    # Quarterly totals give the seasonal profile of a plant with too few months.
    uses_periods = True

    def __init__(self, *, season_length: int = 12):
        self.season_length = season_length

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        # Months before the first figure carry nothing; the recursions start there.
        start = int(np.flatnonzero(np.isfinite(y))[0])
        y = y[start:]
        m = self.season_length
        self.season_ = self._season(history, periods, y, start)
        self.seasonal_ = bool(np.any(self.season_ != 1.0))
        pos = np.arange(y.size) % max(m, 1)
        self.next_pos_ = int(y.size % max(m, 1))
        adjusted = y / self.season_[pos]
        e = self._fit_adjusted(adjusted)
        self.sigma_ = float(np.sqrt(np.nanmean(e ** 2)))

    def _season(self, history: pd.DataFrame, periods: pd.DataFrame | None, y: np.ndarray,
                start: int) -> np.ndarray:
        """Seasonal index of each position ``t mod season_length`` of ``y`` (position 0 =
        ``history``'s month ``start``), mean 1; all 1 when no season can be estimated."""
        m = self.season_length
        if m == PERIOD:
            profile, _ = calendar_profile(history, periods)
            return season_ahead(profile, history.index[start] - 1, m)
        observed = y[np.isfinite(y)]
        idx = (shrunk_indices(y, np.arange(y.size) % m, m)
               if m >= 4 and np.all(observed > 0) else None)
        return idx if idx is not None else np.ones(max(m, 1))

    def _future_season(self, horizon: int) -> np.ndarray:
        m = self.season_.size
        return self.season_[(self.next_pos_ + np.arange(horizon)) % m]

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """Analytic point forecast (the conditional mean), shape (horizon,), oz."""
        self._require_fitted("sigma_")
        return self._point_adjusted(horizon) * self._future_season(horizon)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        e = self.sigma_ * rng.standard_normal((n_paths, horizon))
        return self._simulate_adjusted(e) * self._future_season(horizon)[None, :]

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class SES(_Adjusted):
    """Simple exponential smoothing of seasonally adjusted ounces (M3 ``SINGLE``)."""

    name = "ses"
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 1

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        self.alpha_, self.level_, e = fit_ses(y)
        return e

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.level_)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        past = np.cumsum(e, axis=1) - e
        return self.level_ + e + self.alpha_ * past


class Damped(_Adjusted):
    """Damped additive trend smoothing of seasonally adjusted ounces (M3 ``DAMPEN``)."""

    name = "damped"
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 2

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        (self.alpha_, self.beta_, self.phi_), self.level_, self.trend_, e = fit_damped(y)
        return e

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        return damped_point(self.level_, self.trend_, self.phi_, horizon)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        n_paths, horizon = e.shape
        lev = np.full(n_paths, self.level_)
        tr = np.full(n_paths, self.trend_)
        out = np.empty_like(e)
        for h in range(horizon):
            pred = lev + self.phi_ * tr
            out[:, h] = pred + e[:, h]
            lev, tr = pred + self.alpha_ * e[:, h], self.phi_ * tr + self.beta_ * e[:, h]
        return out


class DampedMAPA(Damped):
    """Damped trend on seasonally adjusted ounces at aggregation levels 1-12, combined (oz)."""

    name = "damped_mapa"
    complexity = 3

    def _fit_adjusted(self, y: np.ndarray) -> np.ndarray:
        e = super()._fit_adjusted(y)  # the monthly level: its errors give the paths' noise
        self.levels_: list[tuple[int, float, float, float]] = [
            (1, self.level_, self.trend_, self.phi_)]
        for k in LEVELS[1:]:
            blocks = block_means(y, k)
            if np.isfinite(blocks).sum() < MIN_BLOCKS:
                continue
            (_, _, phi), level, trend, _ = fit_damped(blocks)
            self.levels_.append((k, level, trend, phi))
        return e

    def _point_adjusted(self, horizon: int) -> np.ndarray:
        per_level = [np.repeat(damped_point(level, trend, phi, -(-horizon // k)), k)[:horizon]
                     for k, level, trend, phi in self.levels_]
        return np.mean(per_level, axis=0)

    def _simulate_adjusted(self, e: np.ndarray) -> np.ndarray:
        horizon = e.shape[1]
        shift = self._point_adjusted(horizon) - super()._point_adjusted(horizon)
        return super()._simulate_adjusted(e) + shift[None, :]
