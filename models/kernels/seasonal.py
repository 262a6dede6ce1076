"""Seasonal kernels of the zoo: classical multiplicative seasonal indices shrunk toward 1,
and the MASE scale.

Seasonal indices are kept per calendar month (January = index 0), not per position in the
series, so a future month is reseasonalised by its month of year whatever the history's start.
"""

from __future__ import annotations

import numpy as np

PERIOD = 12


def mean_abs_difference(y: np.ndarray, lag: int) -> float:
    """Mean of |y[t] - y[t-lag]| over the pairs whose two months are known (same unit as y).

    The scale of MASE at ``lag`` (Hyndman & Koehler 2006). NaN when no pair is known.
    """
    y = np.asarray(y, dtype=float)
    if y.size <= lag:
        return float("nan")
    d = np.abs(y[lag:] - y[:-lag])
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else float("nan")


def ratios_to_moving_average(y: np.ndarray, period: int = PERIOD) -> np.ndarray:
    """Each value over its centred moving average (2 x period when period is even).

    The seasonal-irregular ratios of classical multiplicative decomposition (Hyndman &
    Athanasopoulos, FPP3 3.4).

    Args:
        y: series, shape (n,), positive (oz or tonnes); NaN allowed.
        period: seasonal period.
    Returns:
        shape (n,), NaN where the window is not whole (the ends, and any window holding a
        NaN) or its average is not positive.
    """
    y = np.asarray(y, dtype=float)
    weights = (np.r_[0.5, np.ones(period - 1), 0.5] / period if period % 2 == 0
               else np.ones(period) / period)
    half = weights.size // 2
    trend = np.full(y.size, np.nan)
    if y.size > 2 * half:
        # NaN anywhere in a window propagates, so gapped windows give no ratio.
        trend[half:y.size - half] = np.convolve(y, weights, mode="valid")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(trend > 0, y / trend, np.nan)


def shrunk_indices(y: np.ndarray, months: np.ndarray,
                   period: int = PERIOD) -> np.ndarray | None:
    """Classical multiplicative indices shrunk toward 1 by James-Stein (Miller & Williams 2003).

    Each calendar month's index is the mean of its ratios to the centred moving average
    (``ratios_to_moving_average``), scaled so the indices average 1. The ratios' spread
    around their month's mean gives the variance ``v`` of an index estimate; every index's
    distance from 1 is then multiplied by
    ``c = max(0, 1 - (period - 3) v / sum((index - 1)^2))``. A strong, steady season keeps
    its indices (c near 1); a season no larger than its own noise is flattened (c = 0). This
    replaces an accept-or-reject test, which on short, noisy histories rejects a real season
    and keeps the last month's level as if it were the year's.

    Args:
        y: series, shape (n,), positive (oz or tonnes); NaN allowed.
        months: position in the season (calendar month 0..11) of each value, shape (n,).
        period: seasonal period (>= 4).
    Returns:
        Indices per position, shape (period,), averaging 1; None when some position has no
        ratio or fewer than ``period + 2`` ratios are known (no variance to shrink by).
    """
    months = np.asarray(months)
    if period < 4:
        return None
    ratio = ratios_to_moving_average(y, period)
    known = np.isfinite(ratio)
    r, pos = ratio[known], months[known]
    counts = np.bincount(pos, minlength=period)
    if r.size < period + 2 or np.any(counts == 0):
        return None
    means = np.bincount(pos, weights=r, minlength=period) / counts
    resid_var = float(np.sum((r - means[pos]) ** 2)) / (r.size - period)
    v = resid_var * float(np.mean(1.0 / counts))
    idx = means / means.mean()
    dist = float(np.sum((idx - 1.0) ** 2))
    if dist <= 0.0:
        return idx
    c = max(0.0, 1.0 - (period - 3) * v / dist)
    return 1.0 + c * (idx - 1.0)
