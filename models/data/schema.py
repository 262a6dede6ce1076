"""What a valid input is: cell parsers, declarative schemas (pandera) of the parsed frames,
and the checks a schema cannot express (month order and gaps).

Schemas run on frames already parsed cell by cell (see ``models.data.tables``) whose index holds
the row number of each record in its file, so every failure case translates directly into
the one-line problem ``<file>:<row>: <field>: expected ...``.

Units: ``gold_oz`` troy ounces per month, ``*_t`` tonnes per month, ``head_grade_gpt`` grams
per tonne, ``recovery_pct`` percent, ``capacity_tpd`` tonnes per day.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import numbers
import re
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from models.core.columns import MONTH, TARGET
from models.core.errors import DataValidationError

#: a month above this many oz or tonnes is taken for a unit error (grams, kg), not a figure
UNIT_ERROR_LIMIT = 1_000_000
#: head grades outside this range (g/t) are unit errors or not ore: 10,000 g/t is 1% gold
MIN_GRADE_GPT, MAX_GRADE_GPT = 0.001, 10_000.0
#: a gold price above this (USD per troy oz) is a unit error (per kg is ~32x per oz)
MAX_PRICE_USD = 100_000
#: a capacity whose month would pass UNIT_ERROR_LIMIT tonnes (t/day)
MAX_CAPACITY_TPD = UNIT_ERROR_LIMIT / 31

_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}([,' ]\d{3})+(\.\d*)?", re.ASCII)
_NON_NUMBERS = {"nan", "inf", "infinity", "na", "n/a", "null", "none", "-"}
_YEAR = re.compile(r"(\d{4})", re.ASCII)
_YM = re.compile(r"(\d{4})-(\d{2})", re.ASCII)
_YMD = re.compile(r"(\d{4})-(\d{2})-(\d{2})", re.ASCII)
_QUARTER = re.compile(r"(\d{4})Q([1-4])", re.ASCII)
_HALF = re.compile(r"(\d{4})H([12])", re.ASCII)
_RANGE = re.compile(r"(\d{4}-\d{2})\.\.(\d{4}-\d{2})", re.ASCII)


@dataclass(frozen=True, order=True)
class Problem:
    """One validation problem: the record's row number in its file, the field, the text.

    ``expected`` reads ``expected ..., found ...``; row 0 means the file as a whole.
    """

    row: int
    order: int
    field: str
    expected: str

    def format(self, source: str) -> str:
        """The one-line form ``<source>:<row>: <field>: <expected>``."""
        return f"{source}:{self.row}: {self.field}: {self.expected}"


def problem_error(source: str, row: int, field: str, expected: str) -> DataValidationError:
    """The error of one problem, ``<source>:<row>: <field>: <expected>`` (row 0: the file)."""
    return DataValidationError(Problem(row, 0, field, expected).format(source))


def raise_problems(problems: list[Problem], source: str, limit: int | None = None) -> None:
    """Raise the problems found, if any, as one DataValidationError: each once, by row,
    at most ``limit`` of them (all when None).

    Raises:
        DataValidationError: one line per problem.
    """
    if problems:
        # A tuple key sorts a million problems in C; the dataclass's own ordering would
        # compare them in Python (most of the time of rejecting a huge file).
        ordered = sorted(set(problems), key=lambda p: (p.row, p.order, p.field, p.expected))
        raise DataValidationError([p.format(source) for p in ordered[:limit]])


def show(value: object) -> str:
    """A cell value as shown in a problem: numbers plainly, text quoted and shortened."""
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, float | np.floating):
        v = float(value)
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(value)


_START_LE_END = "start <= end"
#: frame-wide checks: the field a failing row is reported on, and the text of the problem
_ROW_CHECKS = {
    _START_LE_END: ("period", lambda r: f"expected a first month {r['start']} no later than "
                                        f"the last {r['end']}, found {show(r['period'])}"),
}


def _low_le_high(low: str, high: str) -> str:
    """The name of the ``low <= high`` check of a guidance frame whose columns are named
    ``low`` and ``high`` as in its file (registered in ``_ROW_CHECKS``)."""
    name = f"{low} <= {high}"
    _ROW_CHECKS.setdefault(name, (high, lambda r: f"expected at least {low} "
                                                  f"{show(r[low])}, found {show(r[high])}"))
    return name


def _unit_check(unit: str, hint: str) -> pa.Check:
    return pa.Check.le(UNIT_ERROR_LIMIT, error=(
        f"at most {UNIT_ERROR_LIMIT:,} {unit} in a month (a larger value is likely a unit "
        f"error: {hint})"))


# schemas are immutable once built, and building one costs more than checking a small file
@cache
def production_schema(last_month: pd.Period) -> pa.DataFrameSchema:
    """Schema of a parsed production frame (``month`` as a column of monthly Periods).

    Args:
        last_month: the latest month allowed (the current month); later ones are future.
    Returns:
        pandera DataFrameSchema; optional contract columns are checked when present.
    """
    non_negative = pa.Check.ge(0, error="a number >= 0")
    positive = pa.Check.gt(0, error="a number > 0")
    not_future = pa.Check(lambda s: s <= last_month, name="not_future",
                          error=f"a month no later than the current month {last_month}")
    ounces = _unit_check("oz", "grams or kilograms instead of troy ounces?")
    tonnes = _unit_check("t", "kilograms instead of tonnes?")

    def number(*checks: pa.Check) -> pa.Column:
        return pa.Column("float64", checks=list(checks), nullable=True, required=False)

    columns = {
        MONTH: pa.Column(pd.PeriodDtype("M"), checks=[not_future], nullable=False,
                         unique=True, report_duplicates="exclude_first"),
        TARGET: pa.Column("float64", checks=[non_negative, ounces], nullable=True),
        "ore_purchased_t": number(non_negative, tonnes),
        "ore_processed_t": number(non_negative, tonnes),
        "head_grade_gpt": number(pa.Check.in_range(
            MIN_GRADE_GPT, MAX_GRADE_GPT,
            error=f"a head grade from {MIN_GRADE_GPT:g} to {MAX_GRADE_GPT:,.0f} g/t (outside "
                  f"it is a unit error or not ore)")),
        "recovery_pct": number(pa.Check.in_range(0, 100, error="a percentage from 0 to 100")),
        "capacity_tpd": number(positive, pa.Check.le(MAX_CAPACITY_TPD, error=(
            f"at most {MAX_CAPACITY_TPD:,.0f} t/day (a month of it would pass "
            f"{UNIT_ERROR_LIMIT:,} t, a unit error)"))),
    }
    return pa.DataFrameSchema(columns, strict=False, name="production")


#: the metrics a guidance row may be given in, with the unit of its figures
GUIDANCE_METRICS = {"oz": "oz", "aueq_oz": "oz AuEq", "sales_usd": "USD"}


@cache
def guidance_schema(low: str = "low_oz", high: str = "high_oz") -> pa.DataFrameSchema:
    """Schema of a parsed guidance frame: year, ``low <= high`` (in the row's metric: oz,
    oz AuEq or USD), announced date, the metric one of ``GUIDANCE_METRICS``.

    Args:
        low, high: the names of the range's columns as in the file (``low``/``high`` or
            the older ``low_oz``/``high_oz``), so that problems name the file's columns.
    """
    figure = [pa.Check.ge(0, error="a number >= 0")]
    ordered = pa.Check(lambda df: ~(df[low] > df[high]), error=_low_le_high(low, high))
    return pa.DataFrameSchema({
        "year": pa.Column("int64", pa.Check.in_range(1900, 2200, error="a year 1900-2200")),
        low: pa.Column("float64", figure),
        high: pa.Column("float64", figure),
        "announced": pa.Column("datetime64[ns]"),
        "metric": pa.Column(str, pa.Check.isin(list(GUIDANCE_METRICS), error=(
            f"a guidance metric: one of {', '.join(GUIDANCE_METRICS)}")), required=False),
    }, checks=[ordered], strict=False, name="guidance")


@cache
def prices_schema() -> pa.DataFrameSchema:
    """Schema of a parsed gold price history: unique months, ``usd_per_oz`` > 0 (USD per
    troy ounce; at most ``MAX_PRICE_USD``, a larger figure being a unit error)."""
    return pa.DataFrameSchema({
        MONTH: pa.Column(pd.PeriodDtype("M"), nullable=False, unique=True,
                         report_duplicates="exclude_first"),
        "usd_per_oz": pa.Column("float64", [
            pa.Check.gt(0, error="a price > 0 USD/oz"),
            pa.Check.le(MAX_PRICE_USD, error=f"a price of at most {MAX_PRICE_USD:,} USD/oz "
                                             f"(a larger one is likely a unit error: per kg?)"),
        ], nullable=False),
    }, strict=False, name="prices")


@cache
def periods_schema() -> pa.DataFrameSchema:
    """Schema of a parsed period-totals frame: start <= end months, a value >= 0 per row."""
    ordered = pa.Check(lambda df: ~(df["start"] > df["end"]), error=_START_LE_END)
    return pa.DataFrameSchema({
        "period": pa.Column(str),
        "start": pa.Column(pd.PeriodDtype("M")),
        "end": pa.Column(pd.PeriodDtype("M")),
        "metric": pa.Column(str, pa.Check.str_length(min_value=1, error="a metric name")),
        "value": pa.Column("float64", pa.Check.ge(0, error="a number >= 0")),
        "unit": pa.Column(str, nullable=True),
    }, checks=[ordered], strict=False, name="periods")


def schema_problems(schema: pa.DataFrameSchema, frame: pd.DataFrame,
                    already: set[tuple[int, str]]) -> list[Problem]:
    """Run ``schema`` lazily on ``frame`` and translate every failure case into a Problem.

    Args:
        schema: one of the schemas above.
        frame: parsed frame whose index is the row number of each record in its file.
        already: (row, field) pairs reported while parsing; the schema's view of the same
            cells (left empty by the parser) is not reported twice.
    Returns:
        Problems, one per failing cell (or per failing row for frame-wide checks).
    """
    try:
        schema.validate(frame, lazy=True)
    except SchemaErrors as err:
        cases = err.failure_cases
    else:
        return []
    order = {name: i for i, name in enumerate(frame.columns)}
    problems = []
    for case in cases.itertuples(index=False):
        if case.index is None or (isinstance(case.index, float) and np.isnan(case.index)):
            field = case.column if isinstance(case.column, str) else "columns"
            problems.append(Problem(0, order.get(field, 0), field,
                                    f"expected {case.check}, found {show(case.failure_case)}"))
            continue
        row = int(case.index)
        found = case.failure_case
        # a frame-wide check fails once per column of the row: the row is reported once
        field = _ROW_CHECKS[case.check][0] if case.check in _ROW_CHECKS else str(case.column)
        if (row, field) in already:
            continue
        already.add((row, field))
        if case.check in _ROW_CHECKS:
            text = _ROW_CHECKS[case.check][1](frame.loc[row])
        elif case.check == "not_nullable":
            text = "expected a value, found an empty cell"
        elif case.check == "field_uniqueness":
            first = frame.index[frame[field] == found][0]
            text = f"expected each month once, found {show(found)} again (first on row {first})"
        else:
            text = f"expected {case.check}, found {show(found)}"
        problems.append(Problem(row, order.get(field, len(order)), field, text))
    return problems


def contiguity_problems(months: pd.Series) -> list[Problem]:
    """Months out of order and gaps between months, which a column schema cannot see.

    Args:
        months: parsed months (monthly Periods, NaT where unparsable), indexed by row number.
    Returns:
        A problem at each row whose month is earlier than the month before it, and at each
        row following a gap (a month missing from the file: it must be a row, left empty).
    """
    problems = []
    known = months.dropna()
    previous: tuple[int, pd.Period] | None = None
    for row, month in known.items():
        if previous is not None and month < previous[1]:
            problems.append(Problem(int(row), 0, MONTH, (
                f"expected months in increasing order, found {month} after {previous[1]} "
                f"(row {previous[0]})")))
        previous = (int(row), month)
    ordered = known.drop_duplicates().sort_values(kind="stable")
    for (_, before), (row, after) in zip(ordered.items(), list(ordered.items())[1:],
                                         strict=False):
        if (after - before).n > 1:
            problems.append(Problem(int(row), 0, MONTH, (
                f"expected {before + 1} after {before} (months must be contiguous: a month "
                f"without a figure is a row with empty values), found {after}")))
    return problems


# -- cells ------------------------------------------------------------------------------------
def is_empty(cell: object) -> bool:
    """True for an empty cell: blank text, None, NaN, NaT (a missing figure)."""
    if cell is None or cell is pd.NA or cell is pd.NaT:
        return True
    if isinstance(cell, str):
        return not cell.strip()
    if isinstance(cell, float | np.floating):
        return math.isnan(cell)
    return isinstance(cell, np.datetime64) and bool(np.isnat(cell))


def parse_number(cell: object) -> tuple[float, str | None]:
    """A number cell as float (NaN when empty), or NaN and the problem text."""
    if is_empty(cell):
        return math.nan, None
    if isinstance(cell, numbers.Real | decimal.Decimal) and not isinstance(cell, bool | np.bool_):
        value = float(cell)
    elif isinstance(cell, str) and _NUMBER.fullmatch(cell.strip()):
        value = float(cell.strip())
    elif isinstance(cell, str) and _THOUSANDS.fullmatch(cell.strip()):
        return math.nan, ("expected a number without thousands separators (6895, not 6,895), "
                          f"found {show(cell)}")
    elif isinstance(cell, str) and cell.strip().lower().lstrip("+-") in _NON_NUMBERS:
        return math.nan, ("expected a number, or an empty cell for a missing figure, found "
                          f"{show(cell)}")
    else:
        return math.nan, f"expected a number, found {show(cell)}"
    if not math.isfinite(value):
        return math.nan, f"expected a finite number, found {show(cell)}"
    return value, None


def parse_month(cell: object) -> tuple[pd.Period, str | None]:
    """A month cell (``YYYY-MM``, a date ``YYYY-MM-DD``, or a Period within one month such
    as a day's, each read as its month) as a monthly Period."""
    expected = "expected a month as YYYY-MM (or a date YYYY-MM-DD)"
    if is_empty(cell):
        return pd.NaT, f"{expected}, found an empty cell"
    if isinstance(cell, pd.Period):
        # A day's (or an hour's) period names its month, as a date does; a quarter does not.
        month = cell.start_time.to_period("M")
        if month == cell.end_time.to_period("M"):
            return month, None
    if isinstance(cell, np.datetime64):
        cell = pd.Timestamp(cell)
    if isinstance(cell, dt.date):
        return pd.Period(year=cell.year, month=cell.month, freq="M"), None
    if isinstance(cell, str):
        text = cell.strip()
        match = _YM.fullmatch(text) or _YMD.fullmatch(text)
        try:
            if match and int(match[1]) >= 1:
                day = dt.date(int(match[1]), int(match[2]), int(match[3]) if match.re is _YMD
                              else 1)
                return pd.Period(year=day.year, month=day.month, freq="M"), None
        except ValueError:
            pass
    return pd.NaT, f"{expected}, found {show(cell)}"


def parse_date(cell: object) -> tuple[pd.Timestamp, str | None]:
    """A date cell: ``YYYY-MM-DD``, ``YYYY-MM`` (first day) or ``YYYY`` (1 January)."""
    expected = "expected a date as YYYY-MM-DD (or YYYY-MM, or YYYY)"
    if is_empty(cell):
        return pd.NaT, f"{expected}, found an empty cell"
    if isinstance(cell, dt.date | np.datetime64):
        stamp = pd.Timestamp(cell)
        if stamp.tzinfo is not None:
            # A zoned timestamp (a Parquet column with a time zone) is the date it names in
            # its own zone: the day as the announcer wrote it.
            stamp = stamp.tz_localize(None)
        return stamp.normalize(), None
    if isinstance(cell, str):
        text = cell.strip()
        match = _YMD.fullmatch(text) or _YM.fullmatch(text) or _YEAR.fullmatch(text)
        try:
            if match and int(match[1]) >= 1:
                parts = [int(p) for p in match.groups()] + [1, 1]
                return pd.Timestamp(dt.date(*parts[:3])), None
        except (ValueError, OverflowError):
            pass
    return pd.NaT, f"{expected}, found {show(cell)}"


#: an ISO date-time with a UTC offset (``2017-07-20T10:00:00+05:00``, ``... 00:00:00Z``)
_WITH_OFFSET = re.compile(r"^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)"
                          r"\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")


def release_stamps(values: pd.Series) -> pd.Series:
    """Release dates (``release_date`` of period totals) as naive timestamps, NaT where a
    cell is empty or no date.

    A date-time with a UTC offset reads as the wall-clock time it states, its offset dropped
    (``2017-07-20T10:00:00+05:00`` is 20 July, 10:00), so that zoned and plain dates of one
    file compare (pandas refuses a column mixing them: "Mixed timezones"); a zoned Parquet
    column likewise.

    Args:
        values: the column as read (text, or timestamps from Parquet).
    Returns:
        datetime64[ns] Series on the same index.
    """
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_localize(None)
    text = values.astype(str).str.strip().str.replace(_WITH_OFFSET, r"\1", regex=True)
    return pd.to_datetime(text, format="ISO8601", errors="coerce")


def parse_period(cell: object) -> tuple[pd.Period, pd.Period, str | None]:
    """A period cell as its (first month, last month): ``2017``, ``2017Q1``, ``2017H1``,
    ``2017-01..2017-09`` (inclusive), or a single month ``2017-01``."""
    text = cell.strip() if isinstance(cell, str) else ""
    if (match := _YEAR.fullmatch(text)) and int(match[1]) >= 1:
        year = int(match[1])
        return pd.Period(year=year, month=1, freq="M"), pd.Period(year=year, month=12,
                                                                   freq="M"), None
    if (match := _QUARTER.fullmatch(text) or _HALF.fullmatch(text)) and int(match[1]) >= 1:
        span = 3 if match.re is _QUARTER else 6
        start = pd.Period(year=int(match[1]), month=1 + span * (int(match[2]) - 1), freq="M")
        return start, start + (span - 1), None
    if match := _RANGE.fullmatch(text) or _YM.fullmatch(text):
        # A range has its two months as groups; a single month is the whole match.
        first_text, last_text = ((match[1], match[2]) if match.re is _RANGE
                                 else (match[0], match[0]))
        first, _ = parse_month(first_text)
        last, _ = parse_month(last_text)
        if first is not pd.NaT and last is not pd.NaT:
            return first, last, None
    shown = "an empty cell" if is_empty(cell) else show(cell)
    return pd.NaT, pd.NaT, ("expected a period as YYYY, YYYYQn, YYYYHn, YYYY-MM or "
                            f"YYYY-MM..YYYY-MM, found {shown}")


def parse_year(cell: object) -> tuple[int, str | None]:
    """A year cell (four digits) as int; 0 and the problem text when it is not one."""
    if isinstance(cell, str) and _YEAR.fullmatch(cell.strip()):
        return int(cell.strip()), None
    if (isinstance(cell, numbers.Real) and not isinstance(cell, bool | np.bool_)
            and not is_empty(cell) and float(cell).is_integer() and 0 < cell < 10_000):
        return int(cell), None
    shown = "an empty cell" if is_empty(cell) else show(cell)
    return 0, f"expected a year as YYYY, found {shown}"
