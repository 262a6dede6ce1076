"""Reading the long many-series file of ``orecast bulk``: validated, one problem per line.

Input: ``series_id, timestamp, value`` (+ optional numeric exogenous columns), CSV, gzipped
CSV or Parquet. Problems read ``<file>:<row>: <field>: <expected>`` (CSV rows are line
numbers, the header being line 1).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd

from models.core.columns import MONTH, TARGET
from models.data.input_file import check_input_file
from models.data.schema import Problem, problem_error, raise_problems

log = logging.getLogger(__name__)

REQUIRED = ("series_id", "timestamp", "value")
#: names orecast gives its own columns when it turns a series into a production history
RESERVED = (MONTH, TARGET)
_MAX_PROBLEMS = 20


def _parse_months(raw: pd.Series) -> pd.Series:
    """Monthly periods from YYYY-MM or YYYY-MM-DD text, dates or periods; NaT if unparsable."""
    if isinstance(raw.dtype, pd.PeriodDtype):
        return raw.dt.asfreq("M")
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        return raw.dt.tz_localize(None).dt.to_period("M") if raw.dt.tz else \
            raw.dt.to_period("M")
    text = raw.astype("string").str.strip()
    ok = text.str.fullmatch(r"\d{4}-\d{1,2}(-\d{1,2})?").fillna(False).astype(bool)
    parts = text.where(ok).str.split("-", expand=True)
    out = pd.Series(pd.NaT, index=raw.index, dtype="period[M]")
    if not ok.any():
        return out
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    valid = ok & month.between(1, 12)
    if parts.shape[1] > 2:
        has_day = parts[2].notna()
        dates = pd.to_datetime(text.where(has_day & valid), format="%Y-%m-%d", errors="coerce")
        valid &= ~has_day | dates.notna()
    ym = (year.where(valid) - 1970) * 12 + month.where(valid) - 1
    out[valid] = pd.PeriodIndex.from_ordinals(ym[valid].astype("int64").to_numpy(), freq="M")
    return out


def _numeric(raw: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Floats of a column (empty = NaN) and the mask of cells that are not numbers."""
    if pd.api.types.is_numeric_dtype(raw.dtype):
        values = raw.astype(float)
        return values, pd.Series(~np.isfinite(values) & values.notna(), index=raw.index)
    text = raw.astype("string").str.strip()
    empty = text.isna() | (text == "")
    values = pd.to_numeric(text.where(~empty), errors="coerce").astype(float)
    bad = (~empty & values.isna()) | ~np.isfinite(values.fillna(0.0))
    return values, bad


def read_series(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, list[str]]:
    """Read and validate a long many-series file.

    Args:
        path: CSV (``.csv``, ``.csv.gz``) or Parquet (``.parquet``, ``.pq``) file.
    Returns:
        Frame with columns ``series_id`` (str), ``month`` (Period[M]), ``value`` (float >= 0,
        NaN = missing) and the numeric exogenous columns, in file order; and the names of
        those exogenous columns (text columns such as a category are ignored).
    Raises:
        DataValidationError: one line ``<file>:<row>: <field>: expected ...`` per problem
            (rows are CSV line numbers with the header on line 1, or 1-based Parquet rows).
    """
    source = str(path)
    name = Path(source).name.lower()
    is_parquet = name.endswith((".parquet", ".pq"))
    if not is_parquet and not name.endswith((".csv", ".csv.gz")):
        raise problem_error(source, 0, "file", "expected a .csv, .csv.gz or "
                                           ".parquet file")
    check_input_file(source)
    try:
        if is_parquet:
            raw = pd.read_parquet(source)
            first_row = 1
        else:
            raw = pd.read_csv(source, dtype=str, keep_default_na=False,
                              skip_blank_lines=False, encoding="utf-8-sig")
            first_row = 2
    except FileNotFoundError:
        raise problem_error(source, 0, "file", "expected an existing file, "
                                           "found none") from None
    except Exception as exc:  # noqa: BLE001 - any reader failure means an unreadable file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise problem_error(source, 0, "file", f"expected a readable "
                                           f"{'Parquet' if is_parquet else 'CSV'} file, "
                                           f"found {type(exc).__name__}: {reason}") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    raw.index = pd.RangeIndex(first_row, first_row + len(raw))
    header = 0 if is_parquet else 1
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        raise_problems([Problem(header, i, c, f"expected a column named {c!r}, found none")
                        for i, c in enumerate(missing)], source)
    reserved = [c for c in RESERVED if c in raw.columns]
    if reserved:
        # An exogenous column under one of these names would replace the month or the
        # target of every series.
        raise_problems([Problem(header, i, c, (
            f"expected no column named {c!r}: orecast uses it for the series' "
            f"{'month' if c == 'month' else 'value'}; rename it"))
            for i, c in enumerate(reserved)], source)
    if not is_parquet:
        blank = (raw.astype(str).apply(lambda s: s.str.strip()) == "").all(axis=1)
        raw = raw.loc[~blank]
    if raw.empty:
        raise problem_error(source, header + 1, "data",
                                           "expected at least one row, found none")
    problems: list[Problem] = []

    def flag(mask: pd.Series, col: str, expected: str) -> None:
        for row in mask.index[mask.to_numpy()][:_MAX_PROBLEMS]:
            problems.append(Problem(int(row), 0, col, f"expected {expected}, found "
                                    f"{str(raw.at[row, col])[:40]!r}"))

    sid = raw["series_id"].astype("string").str.strip()
    flag(sid.isna() | (sid == ""), "series_id", "a series name")
    month = _parse_months(raw["timestamp"])
    flag(month.isna(), "timestamp", "a month YYYY-MM or a date YYYY-MM-DD")
    value, bad = _numeric(raw["value"])
    flag(bad, "value", "a number (empty = missing)")
    flag(value < 0, "value", "a number >= 0 (bulk forecasts are for non-negative quantities)")
    out = pd.DataFrame({"series_id": sid, "month": month, "value": value})
    exog = []
    for col in raw.columns:
        if col in REQUIRED or not col:
            continue
        values, bad = _numeric(raw[col])
        if bad.any() and values.notna().sum() == 0:
            log.info("%s: column %r is not numeric; ignored", source, col)
            continue
        flag(bad, col, "a number (empty = missing)")
        out[col] = values
        exog.append(col)
    dup = out.duplicated(["series_id", "month"]) & out["month"].notna()
    flag(dup, "timestamp", "each month once per series")
    raise_problems(problems, source, _MAX_PROBLEMS)
    return out.reset_index(drop=True), exog
