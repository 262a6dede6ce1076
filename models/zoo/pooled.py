"""A pooled (cross-series) forecaster: what many series together say about the next months.

Bulk forecasting sees hundreds of series at once. Local models (ETS, Theta, ...) learn each
series from its own past only; this model learns one mapping from the recent past to the
next ``horizon`` months from windows of *every* series in the panel (cross-learning, as the
global models of Montero-Manso & Hyndman 2021 and of the M4 competition), and is used by
``auto`` as one more opinion next to its local members.

Each window is the last ``input_months`` values before a cut, put on a common scale:
``x = (y - level) / scale`` with ``level`` the mean of the last ``season_length`` values and
``scale`` the mean absolute seasonal difference of the history up to the cut (the MASE
scale). Targets are the next ``horizon`` values on the same scale. One scikit-learn
HistGradientBoostingRegressor per month ahead (direct, not recursive) is fitted with the
absolute-error loss, so in scaled units it minimises the MASE it is judged by. The settings
(24 input months, absolute error, 300 iterations at learning rate 0.05, unweighted windows)
were chosen on the holdout inside the M3 monthly training parts (BENCHMARKS.md).

The model is fitted and applied in the main process of a bulk job; workers receive only
each series' forecast (an array), and nothing fitted is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Self

import numpy as np

from models.core.errors import ModelDeclined
from models.kernels.seasonal import mean_abs_difference

log = logging.getLogger(__name__)


def describe(y: np.ndarray, input_months: int, season_length: int
             ) -> tuple[np.ndarray, float, float] | None:
    """The scaled last window of ``y``: (x of shape (input_months,), level, scale).

    None when ``y`` cannot be put on the common scale: shorter than ``input_months`` (or a
    season and a month), a missing value in the last window, or no variation (scale 0).
    """
    if len(y) < max(input_months, season_length + 1):
        return None
    window = y[-input_months:]
    if not np.all(np.isfinite(window)):
        return None
    scale = mean_abs_difference(y, season_length)
    if not np.isfinite(scale) or scale <= 0:
        return None
    level = float(window[-season_length:].mean())
    return (window - level) / scale, level, scale


class PooledWindows:
    """Direct multi-month forecaster fitted on windows of many series (same unit as the data).

    Args:
        horizon: months ahead forecast, one model each.
        input_months: length of the window read before each forecast origin.
        season_length: months per season (level and scale).
        min_series: fewest series with at least one window; fewer -> ``ModelDeclined``.
        max_windows: windows used at most; a larger panel is subsampled (seeded) so the
            cost stays bounded (about 45 s on 2 cores at 30,000 windows, 18 months ahead).
        max_iter, learning_rate: boosting settings of every month-ahead model.
        seed: random state of the subsample and of the boosting's validation split.
    """

    def __init__(self, *, horizon: int, input_months: int = 24, season_length: int = 12,
                 min_series: int = 100, max_windows: int = 50_000, max_iter: int = 300,
                 learning_rate: float = 0.05, seed: int = 0):
        self.horizon = horizon
        self.input_months = input_months
        self.season_length = season_length
        self.min_series = min_series
        self.max_windows = max_windows
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.seed = seed

    def _windows(self, panel: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray, int]:
        lo, h = self.input_months, self.horizon
        first = max(lo, self.season_length + 1)
        # Windows are numbered (series, cut) in order; a seeded subsample of the numbers is
        # drawn before any window is built, so a huge panel costs no more memory than this.
        counts = np.array([max(0, len(y) - h + 1 - first) for y in panel], dtype=np.int64)
        ends = np.cumsum(counts)
        total = int(ends[-1]) if counts.size else 0
        flat = (np.arange(total) if total <= self.max_windows else np.sort(
            np.random.default_rng(self.seed).choice(total, self.max_windows, replace=False)))
        series_of = np.searchsorted(ends, flat, side="right")
        cut_of = first + flat - (ends - counts)[series_of]
        xs, ys, used = [], [], set()
        for i, e in zip(series_of.tolist(), cut_of.tolist(), strict=True):
            y = panel[i]
            d = describe(y[:e], lo, self.season_length)
            target = y[e:e + h]
            if d is None or not np.all(np.isfinite(target)):
                continue
            x, level, scale = d
            xs.append(x)
            ys.append((target - level) / scale)
            used.add(i)
        return np.asarray(xs).reshape(-1, lo), np.asarray(ys).reshape(-1, h), len(used)

    def fit(self, panel: Sequence[np.ndarray], *, n_jobs: int = 1,
            progress: Callable[[int], None] | None = None) -> Self:
        """Fit on every series of ``panel`` (1-D arrays in time order, NaN = missing month).

        Args:
            panel: the series, same unit each (oz, or the series' own unit in bulk).
            n_jobs: processes fitting the month-ahead models side by side, one thread each
                (the models do not depend on each other: same result for any ``n_jobs``).
            progress: called with 1 after each month-ahead model is fitted.
        Raises:
            ModelDeclined: fewer than ``min_series`` series long enough for one window.
        """
        from joblib import Parallel, delayed

        x, y, n_series = self._windows([np.asarray(s, dtype=float) for s in panel])
        if n_series < self.min_series:
            raise ModelDeclined(f"pooled: {n_series} series with a full window of "
                                f"{self.input_months}+{self.horizon} months, needs "
                                f"{self.min_series}")
        tick = progress or (lambda n: None)
        # One OpenMP thread per fit: on windows this small a second thread costs as much CPU
        # as it saves time, and side-by-side fits would fight over the cores.
        fits = Parallel(n_jobs=max(1, n_jobs), return_as="generator")(
            delayed(_fit_month_ahead)(x, y[:, k], self.max_iter, self.learning_rate, self.seed)
            for k in range(self.horizon))
        self.models_ = []
        for fitted in fits:
            self.models_.append(fitted)
            tick(1)
        self.n_windows_, self.n_series_ = len(x), n_series
        log.info("pooled: fitted on %d windows of %d series", len(x), n_series)
        return self

    def predict_panel(self, panel: Sequence[np.ndarray]) -> list[np.ndarray | None]:
        """Forecast the ``horizon`` months after each series of ``panel``.

        Returns:
            per series, an array of shape (horizon,), >= 0, same unit as the series, or
            None when the series cannot be described (see ``describe``).
        """
        described = [describe(np.asarray(y, dtype=float), self.input_months,
                              self.season_length) for y in panel]
        rows = [k for k, d in enumerate(described) if d is not None]
        out: list[np.ndarray | None] = [None] * len(described)
        if not rows:
            return out
        x = np.vstack([described[k][0] for k in rows])
        z = np.column_stack([m.predict(x) for m in self.models_])
        for k, zk in zip(rows, z, strict=True):
            _, level, scale = described[k]
            point = level + scale * zk
            out[k] = np.maximum(point, 0.0) if np.all(np.isfinite(point)) else None
        return out


def _fit_month_ahead(x: np.ndarray, y: np.ndarray, max_iter: int, learning_rate: float,
                     seed: int):
    """One month-ahead boosting model on one thread (``x``: windows x months, ``y``: scaled
    targets of that month ahead)."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="openmp"):
        return HistGradientBoostingRegressor(loss="absolute_error", max_iter=max_iter,
                                             learning_rate=learning_rate,
                                             random_state=seed).fit(x, y)
