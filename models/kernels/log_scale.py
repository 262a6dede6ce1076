"""Ounces on the log scale: the transform of the log-scale models and the cap that keeps
their simulations finite."""

from __future__ import annotations

import numpy as np

#: a simulated month may not exceed this multiple of the record month: beyond what a plant
#: can mill, and it keeps expm1 finite
RECORD_MULTIPLE = 5.0


def log_ounces(y: np.ndarray, floor_share: float = 0.05) -> tuple[np.ndarray, int]:
    """log(1 + oz) for a log-scale state-space fit, months near zero set to NaN.

    A shutdown month (near-zero ounces) is a huge outlier in logs that would inflate the
    fitted variances; the Kalman filter treats it as unobserved instead.

    Args:
        y: monthly ounces, shape (n,), NaN allowed.
        floor_share: months below this share of the median observed month count as near zero.
    Returns:
        (log values, shape (n,), NaN where missing or near zero; number of months set to NaN).
    """
    y = np.asarray(y, dtype=float)
    floor = floor_share * float(np.nanmedian(y))
    near_zero = np.isfinite(y) & (y <= floor)
    z = np.log1p(np.where(near_zero, np.nan, np.maximum(y, 0.0)))
    return z, int(near_zero.sum())


def log_cap(log_values: np.ndarray) -> float:
    """The log-scale ceiling of simulated months: the record month (``nanmax`` of
    ``log_values``, log(1 + oz) or log oz) plus log(``RECORD_MULTIPLE``)."""
    return float(np.nanmax(log_values)) + np.log(RECORD_MULTIPLE)
