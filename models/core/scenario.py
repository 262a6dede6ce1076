"""Exogenous scenarios of the model contract: the ore columns a model can read, and the
``future`` frame of ``sample_paths`` as values for the forecast months."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.columns import EXOG_COLUMNS
from models.core.errors import DataValidationError

ORE_PURCHASED = EXOG_COLUMNS[0]
ORE_PROCESSED = EXOG_COLUMNS[1]


def exog_columns_of(history: pd.DataFrame) -> list[str]:
    """Ore columns a model can use: purchased always, processed when complete and positive."""
    cols = [ORE_PURCHASED]
    if ORE_PROCESSED in history.columns:
        x = history[ORE_PROCESSED]
        if x.notna().all() and (x > 0).all():
            cols.append(ORE_PROCESSED)
    return cols


def scenario_values(future: pd.DataFrame | None, months: pd.PeriodIndex,
                    columns: list[str], *, positive: tuple[str, ...] = ()) -> np.ndarray:
    """Scenario values for ``months``, shape (h, k), NaN where the scenario is silent.

    Args:
        future: scenario frame indexed by month (Period, ``YYYY-MM`` or dates): tonnes per
            month for ore columns, t/day for capacity; None for no scenario.
        months: the forecast months, length h.
        columns: the columns the model uses, k of them.
        positive: columns whose value must be > 0 (capacity), not merely >= 0.
    Raises:
        DataValidationError: an index that is not months, no row in the forecast months, or
            a value that is negative (zero in a ``positive`` column) or infinite.
    """
    known = np.full((len(months), len(columns)), np.nan)
    if future is None or not any(c in future.columns for c in columns):
        return known
    try:
        index = pd.PeriodIndex(future.index, freq="M")
    except (TypeError, ValueError):
        raise DataValidationError("<scenario>: month: expected monthly periods (YYYY-MM) as "
                                  "the index") from None
    if not index.isin(months).any():
        raise DataValidationError(f"<scenario>: month: expected rows for {months[0]}.."
                                  f"{months[-1]}, got {index.min()}..{index.max()}")
    rows = future.set_axis(index).reindex(months)
    for j, col in enumerate(columns):
        if col not in rows.columns:
            continue
        v = pd.to_numeric(rows[col], errors="coerce").to_numpy(dtype=float)
        bad = np.isinf(v) | (v < 0) | ((v == 0) if col in positive else False)
        if bad.any():
            month = months[int(np.flatnonzero(bad)[0])]
            expected = "a number > 0" if col in positive else "tonnes >= 0"
            raise DataValidationError(f"<scenario>:{month}: {col}: expected {expected}, "
                                      f"got {v[bad][0]}")
        known[:, j] = v
    return known
