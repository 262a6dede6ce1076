"""``orecast validate``: load a production file and describe what it covers."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from forecast.numbers import count
from models.core.columns import OPTIONAL_COLUMNS, TARGET
from models.data.datasets import dynacor
from models.data.digest import data_sha256
from models.data.tables import (
    GUIDANCE_HINT,
    PERIODS_HINT,
    PRICES_HINT,
    PRODUCTION_HINT,
    guidance_from_table,
    load_production,
    periods_from_table,
    prices_from_table,
    production_from_table,
    read_table,
)


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


def periods_summary(periods: pd.DataFrame) -> str:
    """Coverage of a validated period-totals frame: its source, rows, the span of months
    it covers and each metric with its units and row count."""
    lines = [f"source: {periods.attrs.get('source', '<periods>')}",
             f"file_sha256: {periods.attrs.get('sha256', '-')}",
             f"rows: {len(periods)}, covering {periods['start'].min()}.."
             f"{periods['end'].max()}"]
    for metric, rows in periods.groupby("metric", sort=True):
        units = ", ".join(sorted(set(rows["unit"].astype(str))))
        lines.append(f"{metric}: {count(len(rows), 'row')} ({units}), "
                     f"{rows['start'].min()}..{rows['end'].max()}")
    return "\n".join(lines)


def guidance_summary(guidance: pd.DataFrame) -> str:
    """The guidance rows as people read them: year, metric, range, announcement."""
    lines = [f"source: {guidance.attrs.get('source', '<guidance>')}",
             f"file_sha256: {guidance.attrs.get('sha256', '-')}",
             f"rows: {len(guidance)}"]
    for row in guidance.itertuples():
        lines.append(f"{row.year} {row.metric}: {row.low:,.0f}-{row.high:,.0f} "
                     f"(announced {row.announced.date()})")
    return "\n".join(lines)


def prices_summary(prices: pd.Series) -> str:
    """Coverage of a validated gold price history (USD/oz)."""
    return "\n".join([
        f"source: {prices.attrs.get('source', '<prices>')}",
        f"file_sha256: {prices.attrs.get('sha256', '-')}",
        f"months: {prices.index[0]}..{prices.index[-1]} ({count(len(prices), 'month')})",
        f"usd_per_oz: {prices.min():,.2f}-{prices.max():,.2f} (last {prices.iloc[-1]:,.2f})"])


#: the kinds of file validate reads, each with the columns that tell it apart
KINDS = {"periods": ("period", "metric", "value"), "prices": ("month", "usd_per_oz"),
         "guidance": ("year", "announced"), "production": ("month", TARGET)}


def validate_any(path: str, kind: str | None = None, *, today: dt.date | None = None) -> str:
    """Validate a file of any input kind and describe it: a production history, period
    totals, guidance or a gold price history, told apart by its header (or ``kind``).

    Raises:
        DataValidationError: every problem found, or a header of no known kind.
    """
    readers = {"production": lambda r: coverage_summary(production_from_table(r, today)),
               "periods": lambda r: periods_summary(periods_from_table(r)),
               "guidance": lambda r: guidance_summary(guidance_from_table(r)),
               "prices": lambda r: prices_summary(prices_from_table(r))}
    hints = {"periods": PERIODS_HINT, "guidance": GUIDANCE_HINT, "prices": PRICES_HINT}
    if kind is not None:
        return readers[kind](read_table(path, hints.get(kind, PRODUCTION_HINT)))
    raw = read_table(path)
    columns = set(raw.cells.columns) | ({"announced"} if "announced_on" in raw.cells.columns
                                        else set())
    found = next((name for name, needed in KINDS.items() if set(needed) <= columns),
                 "production")
    # a production file says nothing of its kind (the default); a file of no known kind
    # is read as one, whose message names the columns expected
    return readers[found](raw) if found == "production" else \
        f"kind: {found}\n" + readers[found](raw)
