"""Loading production history, guidance and period totals from CSV or Parquet, validated.

Every problem in a file is collected and raised at once as one ``DataValidationError``
whose lines read ``<file>:<row>: <field>: expected ..., found ...``. Rows are line numbers in
a CSV file (the header is line 1) and 1-based data rows in a Parquet file; row 0 is the file
as a whole. Nothing but ``DataValidationError`` escapes for a bad input file.

Accepted liberally, on purpose:
- a UTF-8 byte-order mark, blank lines and rows of empty cells (as spreadsheets export);
- a month written as a date ``YYYY-MM-DD`` (Excel's 2017-01-31) is that month;
- guidance ``announced`` as ``YYYY-MM-DD``, ``YYYY-MM`` (first day) or ``YYYY`` (1 January),
  and ``announced_on`` as another name for it.
Refused: other month formats, thousands separators (``6,895``), text, ``NaN``/``inf`` literals
in number columns (an empty cell is the missing figure), negative numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.core.columns import MONTH, NUMERIC_COLUMNS, TARGET
from models.core.errors import DataValidationError
from models.data.input_file import MAX_TABLE_BYTES, check_input_file
from models.data.schema import (
    Problem,
    contiguity_problems,
    guidance_schema,
    is_empty,
    parse_date,
    parse_month,
    parse_number,
    parse_period,
    parse_year,
    periods_schema,
    prices_schema,
    problem_error,
    production_schema,
    raise_problems,
    schema_problems,
    show,
)

#: expected headers, as named in messages about a file's shape
PRODUCTION_HINT = f"{MONTH},{TARGET},..."
GUIDANCE_HINT = "year,low,high,announced[,metric]"
PERIODS_HINT = "period,metric,value,unit,..."

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RawTable:
    """A file's cells as read, before any parsing.

    Attributes:
        source: the file as named in problems.
        sha256: hex digest of the file's bytes.
        cells: one column per file column, index = row number of each record.
        header_row: row number for problems about columns (1 in CSV, 0 in Parquet).
    """

    source: str
    sha256: str
    cells: pd.DataFrame
    header_row: int
    fmt: str


def _csv_cells(data: bytes, source: str, columns: str = PRODUCTION_HINT
               ) -> tuple[pd.DataFrame, int]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise problem_error(source, line, "encoding", f"expected UTF-8 text, found byte "
                    f"0x{data[exc.start]:02x}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[tuple[int, list[str]]] = []
    try:
        line = 0
        for record in reader:
            start, line = line + 1, reader.line_num
            if line > start and any("\n" in cell or "\r" in cell for cell in record):
                # A quoted cell over several lines is an unterminated quote in practice: it
                # would swallow the rows after it. Refused, naming the line it starts on.
                raise problem_error(source, start, "csv", (
                    f"expected every quoted cell to end on its line, found one running "
                    f"from line {start} to line {line} (an unterminated quote?)"))
            # spreadsheets export blank lines and rows of bare commas; they carry nothing
            if any(cell.strip() for cell in record):
                records.append((start, record))
    except csv.Error as exc:
        raise problem_error(source, reader.line_num, "csv",
                    f"expected well-formed comma-separated text, found {exc}") from None
    if not records:
        raise problem_error(source, 1, "header", f"expected a header line naming columns {columns}; "
                    f"found an empty file")
    header_line, header = records[0]
    names = [name.strip() for name in header]
    if len(names) == 1 and MONTH not in names and re.search(r"[;\t|]", names[0]):
        raise problem_error(source, header_line, "header", (
            f"expected comma-separated columns {columns}; found one column "
            f"{show(names[0])} (semicolon- or tab-delimited?)"))
    problems: list[Problem] = []
    width = len(names)
    rows, index = [], []
    for line_no, record in records[1:]:
        if len(record) > width and any(cell.strip() for cell in record[width:]):
            problems.append(Problem(line_no, -1, "fields", (
                f"expected {width} comma-separated fields as in the header, found "
                f"{len(record)} (an unquoted comma, as in 6,895 or in a note?)")))
        rows.append((record + [""] * width)[:width])
        index.append(line_no)
    if not rows:
        problems.append(Problem(header_line + 1, -1, "data",
                                "expected at least one data row, found only the header"))
    cells = pd.DataFrame(rows, index=index, columns=range(width), dtype=object)
    kept = []
    for position, name in enumerate(names):
        if name:
            kept.append(position)
        elif cells[position].str.strip().astype(bool).any():
            problems.append(Problem(header_line, position, "header", (
                f"expected a name for column {position + 1}, which has values, found an "
                "empty name")))
    cells = cells[kept]
    cells.columns = [names[p] for p in kept]
    if problems:
        raise DataValidationError([p.format(source) for p in sorted(problems)])
    return cells, header_line


def _parquet_cells(data: bytes, source: str) -> tuple[pd.DataFrame, int]:
    try:
        # Through pandas, so that its own Parquet types read back as written: the package's
        # validated frame saved with DataFrame.to_parquet() has its months as periods.
        cells = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - any reader failure means an unreadable file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise problem_error(source, 0, "file", f"expected a readable Parquet file, found "
                    f"{type(exc).__name__}: {reason}") from None
    if MONTH not in cells.columns and cells.index.name == MONTH:
        cells = cells.reset_index()
    cells.columns = [str(name).strip() for name in cells.columns]
    if cells.empty:
        raise problem_error(source, 0, "data", "expected at least one month row, found none")
    cells.index = pd.RangeIndex(1, len(cells) + 1)
    return cells, 0


def read_table(path: str | os.PathLike[str], columns: str = PRODUCTION_HINT) -> RawTable:
    """Read a CSV (``.csv``) or Parquet (``.parquet``, ``.pq``) file's cells, unparsed.

    Raises:
        DataValidationError: missing or unreadable file, unknown extension, malformed text.
    """
    source = str(path)
    suffix = Path(source).suffix.lower()
    if suffix not in (".csv", ".parquet", ".pq"):
        raise problem_error(source, 0, "file", f"expected a .csv or .parquet file, found "
                    f"{show(suffix or 'no extension')}")
    size = check_input_file(source, MAX_TABLE_BYTES)
    try:
        with open(source, "rb") as fh:
            # Never more than the size checked: a file growing meanwhile is read as it was.
            data = fh.read(size + 1)
    except OSError as exc:
        raise problem_error(source, 0, "file", f"expected a readable file, found "
                    f"{exc.strerror or type(exc).__name__}") from None
    if len(data) > size:
        raise problem_error(source, 0, "file", "expected a file that is not being written, found "
                    "it growing while read")
    return table_from_bytes(data, source, "csv" if suffix == ".csv" else "parquet", columns)


def table_from_bytes(data: bytes, source: str, fmt: str = "csv",
                     columns: str = PRODUCTION_HINT) -> RawTable:
    """The cells of a file's bytes; ``fmt`` is ``"csv"`` or ``"parquet"``.

    ``columns`` names the expected header in messages (e.g. ``year,low_oz,high_oz,...``).
    """
    cells, header_row = (_csv_cells(data, source, columns) if fmt == "csv"
                         else _parquet_cells(data, source))
    duplicated = sorted({name for name in cells.columns if list(cells.columns).count(name) > 1})
    if duplicated:
        raise problem_error(source, header_row, "header", f"expected each column once, found "
                    f"{', '.join(map(show, duplicated))} more than once")
    return RawTable(source, hashlib.sha256(data).hexdigest(), cells, header_row, fmt)


# -- frames -------------------------------------------------------------------------------
def _require(raw: RawTable, required: tuple[str, ...]) -> None:
    missing = [name for name in required if name not in raw.cells.columns]
    if missing:
        found = ", ".join(map(show, raw.cells.columns)) or "none"
        raise problem_error(raw.source, raw.header_row, "header", (
            f"expected columns {', '.join(required)}; missing {', '.join(missing)} "
            f"(found {found})"))


def _parse(raw: RawTable, parsers: dict, dtypes: dict[str, str]
           ) -> tuple[pd.DataFrame, list[Problem], set[tuple[int, str]]]:
    """Parse the columns that have a parser; keep the others as read (CSV text as str)."""
    problems: list[Problem] = []
    already: set[tuple[int, str]] = set()
    columns = {}
    for position, name in enumerate(raw.cells.columns):
        cells = raw.cells[name]
        if name not in parsers:
            columns[name] = (cells.where(cells.str.strip().astype(bool), None).astype("str")
                             if raw.fmt == "csv" else cells)
            continue
        values = []
        for row, cell in cells.items():
            value, problem = parsers[name](cell)
            if problem is not None:
                problems.append(Problem(int(row), position, name, problem))
                already.add((int(row), name))
            values.append(value)
        columns[name] = pd.Series(values, index=cells.index, dtype=dtypes[name])
    return pd.DataFrame(columns, index=raw.cells.index), problems, already


def production_from_table(raw: RawTable, today: dt.date | None = None) -> pd.DataFrame:
    """Validate a production table into the production frame (see ``load_production``)."""
    _require(raw, (MONTH, TARGET))
    parsers = {MONTH: parse_month} | {name: parse_number for name in NUMERIC_COLUMNS}
    dtypes = {MONTH: "period[M]"} | {name: "float64" for name in NUMERIC_COLUMNS}
    frame, problems, already = _parse(raw, parsers, dtypes)
    current = pd.Period(today or dt.date.today(), freq="M")
    problems += schema_problems(production_schema(current), frame, already)
    problems += contiguity_problems(frame[MONTH])
    if not frame[TARGET].notna().any() and not any(p.field == TARGET for p in problems):
        problems.append(Problem(raw.header_row, 0, TARGET,
                                "expected at least one month with a figure, found none"))
    raise_problems(problems, raw.source)
    frame.index = pd.PeriodIndex(frame.pop(MONTH), freq="M", name=MONTH)
    frame.attrs = {"source": raw.source, "sha256": raw.sha256}
    return frame


def load_production(path: str | os.PathLike[str], *, today: dt.date | None = None
                    ) -> pd.DataFrame:
    """Load a production history (CSV or Parquet) into a validated frame.

    Args:
        path: ``.csv`` or ``.parquet`` file with columns ``month`` (YYYY-MM), ``gold_oz``
            (troy oz per month; empty = not published) and optional ``ore_purchased_t``,
            ``ore_processed_t`` (t), ``head_grade_gpt`` (g/t), ``recovery_pct`` (0-100),
            ``capacity_tpd`` (t/day); other columns are kept as read.
        today: the date whose month is the last one allowed (default: today).
    Returns:
        Frame indexed by a contiguous monthly ``PeriodIndex`` named ``month``, contract
        columns as float64 (NaN = not published); ``attrs["source"]`` (the path as given)
        and ``attrs["sha256"]`` (hex digest of the file's bytes).
    Raises:
        DataValidationError: every problem found in the file, one line each.
    """
    return production_from_table(read_table(path), today)


def guidance_from_table(raw: RawTable) -> pd.DataFrame:
    """Validate a guidance table into the guidance frame (see ``load_guidance``)."""
    cells = raw.cells
    if "announced" not in cells.columns and "announced_on" in cells.columns:
        cells = cells.rename(columns={"announced_on": "announced"})
    # ``low``/``high`` in the row's metric; the older ``low_oz``/``high_oz`` still read
    low, high = (("low", "high") if {"low", "high"} & set(cells.columns)
                 else ("low_oz", "high_oz"))
    if "point_oz" in cells.columns:
        empty = cells[[low, high]].map(is_empty).all(axis=1) if {
            low, high} <= set(cells.columns) else pd.Series(False, cells.index)
        point = empty & ~cells["point_oz"].map(is_empty)
        for row in cells.index[point]:
            # the older files' single figure (often of ounces sold, not produced) is
            # not read; a point guidance is written low = high
            log.info("%s:%d: guidance for %s is a single figure in point_oz (%s), not a "
                     "range: left out of the guidance frame (write a point figure as "
                     "low = high)", raw.source, row,
                     cells.at[row, "year"] if "year" in cells.columns else "?",
                     cells.at[row, "point_oz"])
        cells = cells.loc[~point]
    raw = RawTable(raw.source, raw.sha256, cells, raw.header_row, raw.fmt)
    _require(raw, ("year", low, high, "announced"))

    def metric(cell: object) -> tuple[str, None]:
        return ("oz" if is_empty(cell) else str(cell).strip()), None

    parsers = {"year": parse_year, low: parse_number, high: parse_number,
               "announced": parse_date, "metric": metric}
    dtypes = {"year": "int64", low: "float64", high: "float64",
              "announced": "datetime64[ns]", "metric": "str"}
    frame, problems, already = _parse(raw, parsers, dtypes)
    problems += schema_problems(guidance_schema(low, high), frame, already)
    raise_problems(problems, raw.source)
    frame = frame.rename(columns={low: "low", high: "high"})
    if "metric" not in frame.columns:
        frame["metric"] = "oz"
    core = ["year", "metric", "low", "high", "announced"]
    frame = frame[core + [name for name in frame.columns if name not in core]]
    frame = frame.reset_index(drop=True)
    frame.attrs = {"source": raw.source, "sha256": raw.sha256}
    return frame


def load_guidance(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load annual guidance and its revisions (CSV or Parquet), validated.

    Args:
        path: file with columns ``year``, ``low``, ``high`` (the year's range in the row's
            metric; the older names ``low_oz``/``high_oz`` are read too; a point figure is
            low = high), ``announced`` (YYYY-MM-DD; YYYY-MM reads as its first day, YYYY as
            1 January; ``announced_on`` is accepted as the column name) and optional
            ``metric``: ``oz`` (the default), ``aueq_oz`` (gold-equivalent oz) or
            ``sales_usd`` (US dollars of sales). Rows with only a ``point_oz`` figure (the
            older files' single figure) are left out and logged.
    Returns:
        Frame with ``year`` int64, ``metric`` str, ``low``/``high`` float64 (oz, oz AuEq or
        USD), ``announced`` datetime64, extra columns as read; one row per announcement,
        file order.
    Raises:
        DataValidationError: every problem found in the file, one line each.
    """
    return guidance_from_table(read_table(path, GUIDANCE_HINT))


PRICES_HINT = "month,usd_per_oz,..."


def prices_from_table(raw: RawTable) -> pd.Series:
    """Validate a gold price table into the price series (see ``load_prices``)."""
    _require(raw, (MONTH, "usd_per_oz"))
    parsers = {MONTH: parse_month, "usd_per_oz": parse_number}
    dtypes = {MONTH: "period[M]", "usd_per_oz": "float64"}
    frame, problems, already = _parse(raw, parsers, dtypes)
    for row in frame.index[frame["usd_per_oz"].isna()]:
        if (int(row), "usd_per_oz") not in already:
            # a price history has no gaps to skip: a month without a price cannot be priced
            problems.append(Problem(int(row), 1, "usd_per_oz",
                                    "expected a price in USD/oz, found an empty cell"))
            already.add((int(row), "usd_per_oz"))
    problems += schema_problems(prices_schema(), frame, already)
    problems += contiguity_problems(frame[MONTH])
    raise_problems(problems, raw.source)
    prices = pd.Series(frame["usd_per_oz"].to_numpy(), name="usd_per_oz",
                       index=pd.PeriodIndex(frame[MONTH], freq="M", name=MONTH))
    prices.attrs = {"source": raw.source, "sha256": raw.sha256}
    return prices


def load_prices(path: str | os.PathLike[str]) -> pd.Series:
    """Load a monthly gold price history (CSV or Parquet), validated.

    Args:
        path: file with columns ``month`` (YYYY-MM, contiguous, each once) and
            ``usd_per_oz`` (the month's average price, USD per troy ounce, > 0); other
            columns (source, notes) are ignored.
    Returns:
        Series of USD/oz indexed by a contiguous monthly ``PeriodIndex`` named ``month``;
        ``attrs["source"]`` and ``attrs["sha256"]`` as for the other inputs.
    Raises:
        DataValidationError: every problem found in the file, one line each.
    """
    return prices_from_table(read_table(path, PRICES_HINT))


#: the units a period total may be given in, for the metrics orecast reads: gold output in
#: troy ounces or gold-equivalent ounces (gold plus silver at a price ratio, as producers
#: of both publish), sales in US dollars
PERIOD_UNITS = {"gold_produced": ("oz", "oz AuEq"), "q1_share_of_annual": ("%",),
                "sales": ("USD",)}


def periods_from_table(raw: RawTable) -> pd.DataFrame:
    """Validate a period-totals table into the periods frame (see ``load_periods``)."""
    _require(raw, ("period", "metric", "value", "unit"))
    cells = raw.cells
    spans = cells["period"].map(parse_period)
    position = list(cells.columns).index("period")
    problems = [Problem(int(row), position, "period", span[2])
                for row, span in spans.items() if span[2] is not None]
    already = {(p.row, "period") for p in problems}

    def text(cell: object) -> tuple[str, None]:
        return ("" if is_empty(cell) else str(cell).strip()), None

    parsers = {"period": text, "metric": text, "value": parse_number, "unit": text}
    dtypes = {"period": "str", "metric": "str", "value": "float64", "unit": "str"}
    frame, parse_problems, parse_already = _parse(raw, parsers, dtypes)
    frame.insert(position + 1, "start", pd.Series([s[0] for s in spans], index=frame.index,
                                                  dtype="period[M]"))
    frame.insert(position + 2, "end", pd.Series([s[1] for s in spans], index=frame.index,
                                                dtype="period[M]"))
    already |= parse_already | {(row, name) for row, name in already
                                for name in ("start", "end")}
    problems += parse_problems
    problems += schema_problems(periods_schema(), frame, already)
    unit_at = list(cells.columns).index("unit")
    for row, metric, unit in zip(frame.index, frame["metric"], frame["unit"], strict=True):
        expected = PERIOD_UNITS.get(metric)
        if expected is not None and unit not in expected and (row, "unit") not in already:
            units = " or ".join(map(repr, expected))
            problems.append(Problem(int(row), unit_at, "unit", (
                f"expected {units} for {metric} (the units orecast reads), found "
                f"{show(unit)}; convert the figure to {expected[0]} first")))
    raise_problems(problems, raw.source)
    # The file's line of every row, so that a later check can name it.
    frame.insert(len(frame.columns), "line", frame.index.astype(int))
    frame = frame.reset_index(drop=True)
    frame.attrs = {"source": raw.source, "sha256": raw.sha256}
    return frame


def load_periods(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Load period totals (quarters, halves, years, month ranges), validated.

    Args:
        path: file with columns ``period`` (``2017``, ``2017Q1``, ``2017H1``,
            ``2017-01..2017-09``), ``metric``, ``value``, ``unit``; others kept as read.
            Rows that repeat or disagree for the same period are all kept.
    Returns:
        Frame with ``period`` (str, as written), ``start``/``end`` (monthly Periods, first
        and last month covered), ``metric`` (str), ``value`` (float64), ``unit`` (str).
    Raises:
        DataValidationError: every problem found in the file, one line each.
    """
    return periods_from_table(read_table(path, PERIODS_HINT))
