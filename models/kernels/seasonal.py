"""Seasonal kernels of the zoo: the M3 seasonality test, classical multiplicative
decomposition and the MASE scale.

Seasonal indices are kept per calendar month (January = index 0), not per position in the
series, so a future month is reseasonalised by its month of year whatever the history's start.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

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


def acf(y: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations r_1..r_nlags, shape (nlags,).

    Missing values (NaN) are left out of every sum: the lag-k numerator runs over the pairs
    whose two values are observed (Parzen 1963, amplitude-modulated series); on a gap-free
    series this is the usual estimator.
    """
    y = np.asarray(y, dtype=float)
    obs = np.isfinite(y)
    d = np.where(obs, y - (y[obs].mean() if obs.any() else 0.0), 0.0)
    denom = float(d @ d)
    if denom == 0.0:
        return np.zeros(nlags)
    return np.array([float(d[k:] @ d[:-k]) / denom for k in range(1, nlags + 1)])


def is_seasonal(y: np.ndarray, period: int = PERIOD, level: float = 0.90) -> bool:
    """Seasonality test of the M3 Theta method (Assimakopoulos & Nikolopoulos 2000).

    The series is seasonal when |r_m| > z_{(1+level)/2} * sqrt((1 + 2 sum_{k<m} r_k^2) / n),
    r_k the lag-k autocorrelation (Bartlett's standard error). Needs n >= 2 * period.

    Args:
        y: gap-free series, shape (n,), any unit.
        period: seasonal period in months.
        level: two-sided confidence level (0.90 as in the M3 Theta method).
    Returns:
        True when the lag-``period`` autocorrelation is significant.
    """
    y = np.asarray(y, dtype=float)
    n = int(np.isfinite(y).sum())
    if period < 2 or n < 2 * period:
        return False
    r = acf(y, period)
    se = np.sqrt((1.0 + 2.0 * float(np.sum(r[:-1] ** 2))) / n)
    return bool(abs(r[-1]) > norm.ppf(0.5 + level / 2.0) * se)


def multiplicative_indices(y: np.ndarray, months: np.ndarray,
                           period: int = PERIOD) -> np.ndarray:
    """Classical multiplicative seasonal indices by ratio to a centred 2x12 moving average.

    Method of classical decomposition (Hyndman & Athanasopoulos, FPP3 3.4). NaN months are
    skipped when averaging the ratios; a calendar month with no ratio gets index 1.

    Args:
        y: series, shape (n,), positive (oz or tonnes); NaN allowed.
        months: position in the season (calendar month 0..11) of each value, shape (n,).
        period: seasonal period (a 2 x period moving average when even, period when odd).
    Returns:
        Indices per position, shape (period,), averaging 1.
    """
    y = np.asarray(y, dtype=float)
    weights = (np.r_[0.5, np.ones(period - 1), 0.5] / period if period % 2 == 0
               else np.ones(period) / period)
    half = weights.size // 2
    trend = np.full(y.size, np.nan)
    if y.size > period:
        # NaN anywhere in a window propagates, so gapped windows give no ratio.
        trend[half:y.size - half] = np.convolve(y, weights, mode="valid")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y / trend
    idx = np.ones(period)
    for m in range(period):
        r = ratio[(months == m) & np.isfinite(ratio)]
        if r.size:
            idx[m] = float(r.mean())
    idx = np.where(idx > 0, idx, 1.0)
    return idx / idx.mean()


def position_indices(y: np.ndarray, m: int) -> np.ndarray:
    """Classical multiplicative indices by position ``t mod m`` (position 0 = first value).

    Args:
        y: positive series, shape (n,), n >= 2 m.
        m: season length.
    Returns:
        ndarray (m,), index of each position, mean 1.
    """
    return multiplicative_indices(y, np.arange(len(y)) % m, m)
