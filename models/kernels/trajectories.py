"""Empirical multi-step errors of a level carried forward, read from the series' own past.

A random walk's paths accumulate every month-to-month change. On a plant's months, whose
changes are mostly noise around a level that moves slowly, that overstates the spread of a
year's total several times over: the naive and drift members' 80% intervals of the next
year's total held the truth 99% of the time on simulated plants (BENCHMARKS.md, "Where the
misses came from"). The series itself shows how far a level carried forward from a month
ends up ``h`` months later: from every past month ``t`` whose next ``steps`` months are all
known, the trajectory ``y[t+h] / y[t]`` (empirical prediction intervals: Williams & Goodman
1971; Lee & Scholtes 2014). Centred on their mean at each step, these trajectories are the
naive forecast's own out-of-sample errors, month by month and jointly, so a year's total
drawn from them has the spread the method actually showed.
"""

from __future__ import annotations

import numpy as np

#: past origins with a whole trajectory needed before trajectories replace the random walk:
#: two years of them, so that every calendar month starts at least two
MIN_ORIGINS = 24


def relative_trajectories(y: np.ndarray, steps: int,
                          min_origins: int = MIN_ORIGINS) -> np.ndarray | None:
    """Centred relative trajectories of a level carried forward ``steps`` months.

    Args:
        y: monthly series, shape (n,), >= 0 (oz, seasonally adjusted by the caller), NaN
            where a month is unknown.
        steps: months ahead, >= 1.
        min_origins: fewest origins accepted.
    Returns:
        ndarray (n_origins, steps): for every origin ``t`` with ``y[t] > 0`` and
        ``y[t+1..t+steps]`` known, ``y[t+h] / y[t] - mean_t(y[t+h] / y[t])`` (a dimensionless
        deviation whose mean over origins is 0 at each step); None when fewer than
        ``min_origins`` origins qualify.
    """
    y = np.asarray(y, dtype=float)
    n = y.size - steps
    if n < min_origins:
        return None
    windows = np.lib.stride_tricks.sliding_window_view(y, steps + 1)[:n]
    ok = np.all(np.isfinite(windows), axis=1) & (windows[:, 0] > 0)
    if int(ok.sum()) < min_origins:
        return None
    ratios = windows[ok, 1:] / windows[ok, :1]
    return ratios - ratios.mean(axis=0, keepdims=True)
