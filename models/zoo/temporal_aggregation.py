"""Damped trend smoothing across temporal aggregation levels (MAPA-style), ``damped_mapa``.

A trend fitted to monthly values chases the last few months; the same series summed into
quarters or years shows the trend with less noise. The Multiple Aggregation Prediction
Algorithm (Kourentzes, Petropoulos & Trapero 2014) fits a model at several aggregation
levels and combines the forecasts; temporal hierarchies (THieF, Athanasopoulos et al.
2017) use the factors of the season length as the levels. Here:

1. Seasonal adjustment as for the other fast smoothing members (``models.zoo.fast_smoothing``:
   the M3 90 % autocorrelation test, classical multiplicative indices).
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

import numpy as np

from models.zoo.fast_smoothing import Damped, damped_point, fit_damped

#: aggregation levels in months: the factors of a 12-month season
LEVELS = (1, 2, 3, 4, 6, 12)
#: fewest blocks a level needs (fit_damped's minimum)
MIN_BLOCKS = 4


def block_means(y: np.ndarray, k: int) -> np.ndarray:
    """Means of consecutive blocks of ``k`` values ending at the last one, shape (n // k,)."""
    n = (y.size // k) * k
    return y[y.size - n:].reshape(-1, k).mean(axis=1)


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
