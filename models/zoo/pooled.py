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

In a bulk job each task samples the windows of its own series and sends only those; the
job's sample (the lowest priorities of all) is fitted in the main process, and the fitted
model travels to the tasks, which forecast their series with it. Nothing fitted is stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
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


def window_priorities(key: int, n: int, seed: int) -> np.ndarray:
    """Priorities of a series' ``n`` windows (uint64, shape (n,)): SplitMix64 of its key,
    the seed and the window's number, so the same on every machine and in every task."""
    with np.errstate(over="ignore"):
        base = np.uint64(key) ^ (np.uint64(seed) * np.uint64(0xD1B54A32D192ED03))
        z = base + (np.arange(1, n + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _lowest(priority: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` lowest priorities (all when fewer), in position order."""
    if len(priority) <= k:
        return np.arange(len(priority))
    return np.sort(np.argpartition(priority, k - 1)[:k])


@dataclass(frozen=True)
class WindowSample:
    """Training windows chosen by priority, with what a merge needs.

    Attributes:
        priority: uint64, shape (m,); key: the window's series key, uint64 (m,).
        x: scaled inputs (m, input_months); y: scaled targets (m, horizon); NaN where
            ``valid`` is False (a chosen window with a missing value).
        valid: bool (m,).
    """

    priority: np.ndarray
    key: np.ndarray
    x: np.ndarray
    y: np.ndarray
    valid: np.ndarray

    @classmethod
    def empty(cls, input_months: int, horizon: int) -> WindowSample:
        """No window."""
        return cls(np.zeros(0, np.uint64), np.zeros(0, np.uint64),
                   np.zeros((0, input_months)), np.zeros((0, horizon)), np.zeros(0, bool))

    def merge(self, other: WindowSample, k: int) -> WindowSample:
        """The ``k`` lowest-priority windows of both samples."""
        prio = np.concatenate([self.priority, other.priority])
        keep = _lowest(prio, k)
        cat = [np.concatenate([a, b])[keep] for a, b in (
            (self.key, other.key), (self.x, other.x), (self.y, other.y),
            (self.valid, other.valid))]
        return WindowSample(prio[keep], *cat)


class PooledWindows:
    """Direct multi-month forecaster fitted on windows of many series (same unit as the data).

    Args:
        horizon: months ahead forecast, one model each.
        input_months: length of the window read before each forecast origin.
        season_length: months per season (level and scale).
        min_series: fewest series with at least one window; fewer -> ``ModelDeclined``.
        max_windows: windows used at most; a larger panel is subsampled (the windows of
            lowest priority, see ``sample``) so the cost stays bounded (about 45 s on 2 cores
            at 30,000 windows, 18 months ahead).
        max_iter, learning_rate: boosting settings of every month-ahead model.
        seed: seeds the windows' priorities and the boosting's validation split.
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

    def sample(self, keys: np.ndarray, panel: Sequence[np.ndarray]) -> WindowSample:
        """The windows of ``panel`` with the ``max_windows`` lowest priorities, built.

        Every (series, cut) has a priority from its series key, its cut and the seed
        (``window_priorities``), so the windows kept from a whole job do not depend on how its
        series were split into tasks: the lowest of each task's lowest are the job's lowest
        (``WindowSample.merge``). Windows are chosen before they are built, so a huge panel
        costs no more memory than ``max_windows`` windows; a chosen window with a missing
        value is then dropped (``valid`` False).

        Args:
            keys: a stable 64-bit key per series (a hash of its id), shape (n_series,).
            panel: the series, 1-D arrays in time order, NaN = missing month.
        """
        lo, h = self.input_months, self.horizon
        first = max(lo, self.season_length + 1)
        prio, series_of, cut_of = [], [], []
        for i, (key, y) in enumerate(zip(keys.tolist(), panel, strict=True)):
            n = max(0, len(y) - h + 1 - first)
            if n:
                prio.append(window_priorities(key, n, self.seed))
                series_of.append(np.full(n, i))
                cut_of.append(first + np.arange(n))
        if not prio:
            return WindowSample.empty(lo, h)
        prio_all = np.concatenate(prio)
        keep = _lowest(prio_all, self.max_windows)
        series_k = np.concatenate(series_of)[keep]
        cut_k = np.concatenate(cut_of)[keep]
        x = np.full((len(keep), lo), np.nan)
        t = np.full((len(keep), h), np.nan)
        valid = np.zeros(len(keep), dtype=bool)
        for j, (i, e) in enumerate(zip(series_k.tolist(), cut_k.tolist(), strict=True)):
            y = np.asarray(panel[i], dtype=float)
            d = describe(y[:e], lo, self.season_length)
            target = y[e:e + h]
            if d is None or not np.all(np.isfinite(target)):
                continue
            x[j], level, scale = d
            t[j] = (target - level) / scale
            valid[j] = True
        return WindowSample(prio_all[keep], keys[series_k], x, t, valid)

    def fit(self, panel: Sequence[np.ndarray], keys: np.ndarray | None = None, *,
            n_jobs: int = 1, progress: Callable[[int], None] | None = None) -> Self:
        """Fit on every series of ``panel`` (1-D arrays in time order, NaN = missing month).

        Args:
            panel: the series, same unit each (oz, or the series' own unit in bulk).
            keys: a stable 64-bit key per series (default: its position in ``panel``).
            n_jobs, progress: as ``fit_sample``.
        Raises:
            ModelDeclined: fewer than ``min_series`` series long enough for one window.
        """
        if keys is None:
            keys = np.arange(len(panel), dtype=np.uint64)
        return self.fit_sample(self.sample(keys, [np.asarray(s, dtype=float) for s in panel]),
                               n_jobs=n_jobs, progress=progress)

    def fit_sample(self, sample: WindowSample, *, n_jobs: int = 1,
                   progress: Callable[[int], None] | None = None) -> Self:
        """Fit on the valid windows of ``sample`` (``sample`` or merged task samples),
        in order of priority.

        Args:
            sample: the job's windows (at most ``max_windows``).
            n_jobs: processes fitting the month-ahead models side by side, one thread each
                (the models do not depend on each other: same result for any ``n_jobs``).
            progress: called with 1 after each month-ahead model is fitted.
        Raises:
            ModelDeclined: fewer than ``min_series`` series with a window.
        """
        from joblib import Parallel, delayed

        order = np.lexsort((sample.key, sample.priority))
        order = order[sample.valid[order]]
        x, y = sample.x[order], sample.y[order]
        n_series = len(np.unique(sample.key[order]))
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
