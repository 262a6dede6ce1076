"""The data's one digest and the flat table it is taken over.

``data_sha256`` hashes the validated content -- every month's contract figures and the
period totals -- never a file's bytes: the same figures in CSV or Parquet, with other notes
or column order, give the same digest, and the model input made from a frame gives the
frame's digest. It is the ``data_sha256`` of annual.json, of the publication key and of
the registered model's tags.
"""

from __future__ import annotations

import hashlib

import pandas as pd

from models.core.columns import MONTH, NUMERIC_COLUMNS

#: columns of a period totals frame derived by the reader, not part of the data
_DERIVED_PERIOD_COLUMNS = ("start", "end", "line")


def flat_table(history: pd.DataFrame) -> pd.DataFrame:
    """The production frame as a flat table: ``month`` (YYYY-MM strings) + numeric columns.

    Args:
        history: production frame indexed by a monthly PeriodIndex.
    Returns:
        Frame with a ``month`` string column and the float contract columns present
        (``gold_oz`` oz, ``*_t`` t, ...), one row per month; other columns dropped.
    """
    cols = [c for c in NUMERIC_COLUMNS if c in history.columns]
    flat = history[cols].astype(float).reset_index(drop=True)
    flat.insert(0, MONTH, [str(m) for m in history.index])
    return flat


def periods_text(periods: pd.DataFrame | None) -> str:
    """Period totals as CSV text with the file's own columns ("" for none)."""
    if periods is None or periods.empty:
        return ""
    derived = [c for c in _DERIVED_PERIOD_COLUMNS if c in periods.columns]
    return periods.drop(columns=derived).to_csv(index=False, lineterminator="\n")


def data_sha256(history: pd.DataFrame, periods: pd.DataFrame | None = None) -> str:
    """sha256 (hex) of the canonical CSV of ``flat_table(history)``, followed by the period
    totals' ``periods_text`` when there are any."""
    text = flat_table(history).to_csv(index=False, lineterminator="\n") + periods_text(periods)
    return hashlib.sha256(text.encode()).hexdigest()
