"""The calendar of a plant's year: month parsing, the default target year, month-of-year
and rainy-season features."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from models.core.errors import UsageError

#: months of the Andean rainy season that slow artisanal mining and ore transport
RAINY_MONTHS = (1, 2, 3)
#: years orecast forecasts and reads months of (as-of months, target years)
MIN_YEAR, MAX_YEAR = 1900, 2200


def month_of_year(index: pd.PeriodIndex) -> np.ndarray:
    """Calendar month of each period, 0 (January) to 11, shape (n,)."""
    return np.asarray(index.month, dtype=int) - 1


def rainy_flag(index: pd.PeriodIndex) -> np.ndarray:
    """1.0 for months of the rainy season (January-March), else 0.0; shape (n,)."""
    return np.isin(np.asarray(index.month, dtype=int), RAINY_MONTHS).astype(float)


def target_year(as_of: pd.Period) -> int:
    """The year forecast from ``as_of`` by default: its own, or the next when it is December."""
    return as_of.year + 1 if as_of.month == 12 else as_of.year


def month_from_text(text: str, field: str = "as_of") -> pd.Period:
    """Parse ``YYYY-MM`` (month 01-12) into a monthly Period, or raise a one-line UsageError.

    Nothing else is read as a month: ``2017-Q3`` or ``2017-7`` are refused, not guessed, and
    the year must be in the supported range (``MIN_YEAR``-``MAX_YEAR``).
    """
    match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", text) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"expected a month as YYYY-MM, got {text!r}", option=field)
    if not MIN_YEAR <= int(match[1]) < MAX_YEAR:
        raise UsageError(f"expected a month as YYYY-MM in the years {MIN_YEAR}-"
                         f"{MAX_YEAR - 1}, got {text!r}", option=field)
    return pd.Period(year=int(match[1]), month=int(match[2]), freq="M")
