"""Empirical multi-step errors of a level carried forward, read from the series' own past.

A random walk's paths accumulate every month-to-month change. On a plant's months, whose
changes are mostly noise around a level that moves slowly, that overstates the spread of a
year's total several times over: the naive and drift members' 80% intervals of the next
year's total held the truth 99% of the time on simulated plants (BENCHMARKS.md, "Where the
misses came from"). The series itself shows how far a level carried forward from a month
ends up ``h`` months later: from every past month ``t`` whose next ``steps`` months are all
known, the change ``y[t+h] - y[t]`` (empirical prediction intervals: Williams & Goodman
1971; Lee & Scholtes 2014). Centred on their mean at each step, these trajectories are the
naive forecast's own out-of-sample errors, month by month and jointly, so a year's total
drawn from them has the spread the method actually showed.

Each change is measured in units of the level around its origin (the median of the known
months among the 12 up to it) and applied at today's level, so a plant that grew keeps its
relative spread. Dividing by the origin month itself would not do: after a shutdown month
of 50 oz the next month is a hundred times it, and that one origin pulled every path of a
simulated 8,000 oz/month plant to zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: past origins with a whole trajectory needed before trajectories replace the random walk:
#: two years of them, so that every calendar month starts at least two
MIN_ORIGINS = 24
#: months up to an origin whose median is the level its changes are measured in
LEVEL_MONTHS = 12


@dataclass(frozen=True)
class Trajectories:
    """A series' past trajectories, ready to be applied at today's level.

    Attributes:
        deviations: shape (n_origins, steps), dimensionless: each origin's change
            ``y[t+h] - y[t]`` divided by the level around ``t``, centred on the mean over
            origins at each step.
        level: today's level, in the series' units (oz): the median of the known months
            among the ``LEVEL_MONTHS`` up to the last known one.
    """

    deviations: np.ndarray
    level: float

    def draw(self, rng: np.random.Generator, n_paths: int) -> np.ndarray:
        """Changes of ``n_paths`` origins drawn with replacement, at today's level.

        Returns:
            ndarray (n_paths, steps), oz, to add to the level carried forward.
        """
        rows = rng.integers(0, self.deviations.shape[0], size=n_paths)
        return self.level * self.deviations[rows]


def level_trajectories(y: np.ndarray, steps: int,
                       min_origins: int = MIN_ORIGINS) -> Trajectories | None:
    """Centred trajectories of a level carried forward ``steps`` months, in level units.

    Args:
        y: monthly series, shape (n,), >= 0 (oz, seasonally adjusted by the caller), NaN
            where a month is unknown.
        steps: months ahead, >= 1.
        min_origins: fewest origins accepted.
    Returns:
        The trajectories of every origin ``t`` with ``y[t..t+steps]`` known and a positive
        level around it; None when fewer than ``min_origins`` qualify or today's level is
        not positive.
    """
    y = np.asarray(y, dtype=float)
    n = y.size - steps
    if n < min_origins:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(y, steps + 1)[:n]
    origins = np.flatnonzero(np.all(np.isfinite(windows), axis=1))
    if origins.size < min_origins:
        return None
    # y[t] is known at every origin, so no level window is all unknown.
    padded = np.r_[np.full(LEVEL_MONTHS - 1, np.nan), y]
    levels = np.nanmedian(
        np.lib.stride_tricks.sliding_window_view(padded, LEVEL_MONTHS)[origins], axis=1)
    keep = levels > 0
    if int(keep.sum()) < min_origins:
        return None
    last = int(np.flatnonzero(np.isfinite(y))[-1])
    level = float(np.nanmedian(y[max(0, last - LEVEL_MONTHS + 1):last + 1]))
    if not level > 0:
        return None
    w = windows[origins[keep]]
    dev = (w[:, 1:] - w[:, :1]) / levels[keep, None]
    return Trajectories(dev - dev.mean(axis=0, keepdims=True), level)
