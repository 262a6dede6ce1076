"""A plant's seasonal profile by calendar month, from its months or else its quarterly totals.

The members that carry a level forward (the smoothing and Theta families) divide the months
by this profile before fitting and multiply their forecasts back by it. Without it, a
forecast made from December carries December's level -- above the year's mean wherever the
rainy season (January-March) slows buying -- into the whole next year.

The indices are classical multiplicative ones shrunk toward 1 by James-Stein
(``models.kernels.seasonal.shrunk_indices``). They come from the months when the months give
enough ratios to a centred moving average; otherwise, for a plant that published quarterly
totals before it published months, from the quarterly series of its months and period
totals (``models.data.periods.quarterly_series``), each month taking its quarter's index.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.base import observed_target
from models.core.calendar import month_of_year
from models.data.periods import quarterly_series
from models.kernels.seasonal import PERIOD, shrunk_indices

QUARTERS_PER_YEAR = 4


def season_at(profile: np.ndarray, index: pd.PeriodIndex) -> np.ndarray:
    """The calendar profile's index of each month of ``index``, shape (len(index),); all 1
    when the profile is flat (whatever the index's frequency)."""
    if np.all(profile == 1.0):
        return np.ones(len(index))
    return profile[month_of_year(index)]


def season_ahead(profile: np.ndarray, last_month: pd.Period, horizon: int) -> np.ndarray:
    """The calendar profile's index of each of the ``horizon`` months after ``last_month``,
    shape (horizon,). A flat profile (the only one a quarterly fit gets) gives all 1."""
    return profile[(last_month.month + np.arange(horizon)) % PERIOD]


def calendar_profile(history: pd.DataFrame,
                     periods: pd.DataFrame | None = None) -> tuple[np.ndarray, str]:
    """Seasonal indices of the target by calendar month, and where they came from.

    Args:
        history: production frame (monthly PeriodIndex, target in oz), NaN months allowed.
        periods: validated period totals (quarters, half-years, years), or None.
    Returns:
        (indices, source): indices shape (12,), January first, mean 1 (all 1 when nothing
        can be estimated or a known value is <= 0: multiplicative indices need positive
        output); source is ``"months"``, ``"quarters"`` or ``"none"``.
    """
    flat = np.ones(PERIOD)
    if not isinstance(history.index, pd.PeriodIndex) or history.index.freqstr != "M":
        return flat, "none"
    y = observed_target(history)
    if np.any(y[np.isfinite(y)] <= 0):
        return flat, "none"
    idx = shrunk_indices(y, month_of_year(history.index))
    if idx is not None:
        return idx, "months"
    if periods is None or not len(history):
        return flat, "none"
    q = quarterly_series(history, periods, history.index[-1])
    values = q.to_numpy(dtype=float)
    if np.any(values[np.isfinite(values)] <= 0):
        return flat, "none"
    qidx = shrunk_indices(values, np.asarray(q.index.quarter, dtype=int) - 1,
                          QUARTERS_PER_YEAR)
    if qidx is None:
        return flat, "none"
    return np.repeat(qidx, PERIOD // QUARTERS_PER_YEAR), "quarters"
