"""``orecast validate``: load a production file and describe what it covers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecast.numbers import count
from models.core.columns import OPTIONAL_COLUMNS, TARGET
from models.data.datasets import dynacor
from models.data.digest import data_sha256
from models.data.tables import load_production


def month_ranges(months: pd.PeriodIndex) -> list[str]:
    """Runs of consecutive months as ``YYYY-MM..YYYY-MM`` (a lone month as ``YYYY-MM``)."""
    runs: list[list[pd.Period]] = []
    for month in sorted(months):
        if runs and (month - runs[-1][-1]).n == 1:
            runs[-1].append(month)
        else:
            runs.append([month])
    return [f"{run[0]}..{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs]


def coverage_summary(history: pd.DataFrame) -> str:
    """Coverage of a validated production frame, as lines of text.

    Args:
        history: production frame (monthly PeriodIndex ``month``, ``gold_oz`` in oz).
    Returns:
        Source, the file's sha256 (``file_sha256``: of its bytes) and the figures'
        (``data_sha256``: ``models.data.digest.data_sha256``, what annual.json and the
        publications quote, the same whatever the file's format), first and last month, months with a figure, gaps as month
        ranges, complete calendar years (12 known months) with their totals in oz, and the
        optional contract columns present with how many months they cover.
    """
    y = history[TARGET]
    known = y.notna()
    gaps = month_ranges(y.index[~known])
    lines = [
        f"source: {history.attrs.get('source', '<data>')}",
        f"file_sha256: {history.attrs.get('sha256', '-')}",
        f"data_sha256: {data_sha256(history)}",
        f"months: {y.index[0]}..{y.index[-1]} ({len(y)} months, {int(known.sum())} with a "
        f"{TARGET} figure)",
        f"gaps: {', '.join(gaps)} ({count(int((~known).sum()), 'month')} without a figure)"
        if gaps
        else "gaps: none",
    ]
    by_year = y.groupby(y.index.year)
    complete = [f"{year} {total:,.0f} oz" for year, total in by_year.sum().items()
                if by_year.count()[year] == 12]
    lines.append(f"complete years: {', '.join(complete) if complete else 'none'}")
    optional = [f"{name} ({int(history[name].notna().sum())} of {len(y)} months)"
                for name in OPTIONAL_COLUMNS if name in history.columns]
    lines.append(f"optional columns: {', '.join(optional) if optional else 'none'}")
    return "\n".join(lines)


def validate_file(path: str | None, *, today: dt.date | None = None) -> str:
    """Load and validate a production file (the embedded Dynacor data when ``path`` is None).

    Args:
        path: CSV or Parquet production file, or None.
        today: the date whose month is the last one allowed (default: today).
    Returns:
        The coverage summary (see ``coverage_summary``).
    Raises:
        DataValidationError: every problem found in the file.
    """
    history = dynacor(today).monthly if path is None else load_production(path, today=today)
    return coverage_summary(history)
