"""Loading and validating production, guidance and period files: one failing file per rule."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError
from models.data.tables import load_guidance, load_periods, load_production

TODAY = dt.date(2024, 6, 15)
HEADER = "month,gold_oz\n"


def write(tmp_path: Path, text: str, name: str = "history.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path, loader=load_production) -> list[str]:
    kwargs = {"today": TODAY} if loader is load_production else {}
    with pytest.raises(DataValidationError) as err:
        loader(path, **kwargs)
    return err.value.problems


def only_problem(path: Path, row: int, field: str, loader=load_production) -> str:
    """The single problem of ``path``, checked to name the file, the row and the field."""
    found = problems(path, loader)
    assert len(found) == 1, found
    prefix = f"{path}:{row}: {field}: expected "
    assert found[0].startswith(prefix), (found[0], prefix)
    return found[0]


# -- valid files ---------------------------------------------------------------------------
def test_valid_file_gives_the_contract_frame(tmp_path):
    text = ("month,gold_oz,ore_processed_t,recovery_pct,notes\n"
            "2017-01,5208,8000,95.5,first\n2017-02,,,,\n2017-03,0,0,,stoppage\n")
    path = write(tmp_path, text)
    frame = load_production(path, today=TODAY)
    assert isinstance(frame.index, pd.PeriodIndex)
    assert frame.index.freqstr == "M" and frame.index.name == "month"
    assert list(frame.index.astype(str)) == ["2017-01", "2017-02", "2017-03"]
    assert frame["gold_oz"].dtype == np.float64
    assert frame["ore_processed_t"].dtype == np.float64
    np.testing.assert_array_equal(frame["gold_oz"].to_numpy(), [5208.0, np.nan, 0.0])
    assert frame["notes"].tolist()[0] == "first" and pd.isna(frame["notes"].iloc[1])
    assert "month" not in frame.columns
    assert frame.attrs["source"] == str(path)
    assert frame.attrs["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()


def test_dates_bom_blank_lines_and_empty_rows_are_accepted(tmp_path):
    text = "\ufeffmonth,gold_oz\n2017-01-31,1\n\n2017-02-28,2\n,\n2017-03,3\n"
    frame = load_production(write(tmp_path, text), today=TODAY)
    assert list(frame.index.astype(str)) == ["2017-01", "2017-02", "2017-03"]
    assert frame["gold_oz"].tolist() == [1.0, 2.0, 3.0]


def test_current_month_and_unit_limit_itself_are_allowed(tmp_path):
    text = HEADER + "2024-05,1000000\n2024-06,5\n"
    frame = load_production(write(tmp_path, text), today=TODAY)
    assert frame.index[-1] == pd.Period("2024-06", "M")


def test_row_numbers_are_file_lines_after_blank_lines(tmp_path):
    path = write(tmp_path, HEADER + "2017-01,1\n\n\n2017-02,x\n")
    only_problem(path, 5, "gold_oz")


def test_a_quoted_cell_over_several_lines_is_refused_naming_its_first_line(tmp_path):
    # An unterminated quote in a note would swallow the rows after it: a cell running over
    # lines is refused, never read as one long note.
    path = write(tmp_path, 'month,gold_oz,note\n2017-01,1,"two\nlines"\n2017-02,-1,\n')
    assert "unterminated quote" in only_problem(path, 2, "csv")


# -- month column --------------------------------------------------------------------------
@pytest.mark.parametrize("month", ["01/2017", "2017-13", "Jan 2017", "2017-02-30", "201701"])
def test_month_in_another_format_is_refused(tmp_path, month):
    path = write(tmp_path, HEADER + f"{month},5\n")
    assert "YYYY-MM" in only_problem(path, 2, "month")


def test_empty_month_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2017-01,5\n,6\n")
    assert "empty cell" in only_problem(path, 3, "month")


def test_duplicate_month_names_the_first_row(tmp_path):
    path = write(tmp_path, HEADER + "2017-01,5\n2017-02,6\n2017-02-28,7\n")
    assert "first on row 3" in only_problem(path, 4, "month")


def test_gap_between_months_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2016-06,5\n2016-11,6\n")
    message = only_problem(path, 3, "month")
    assert "2016-07 after 2016-06" in message and "found 2016-11" in message


def test_months_out_of_order_are_refused(tmp_path):
    path = write(tmp_path, HEADER + "2017-02,5\n2017-01,6\n")
    assert "increasing order" in only_problem(path, 3, "month")


def test_future_month_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2024-06,5\n2024-07,6\n")
    assert "no later than the current month 2024-06" in only_problem(path, 3, "month")


# -- number columns ------------------------------------------------------------------------
@pytest.mark.parametrize(("cell", "hint"), [
    ("abc", "a number"),
    ('"6,895"', "thousands separators"),
    ("NaN", "empty cell for a missing figure"),
    ("inf", "empty cell for a missing figure"),
    ("1e400", "finite"),
    ("-3", ">= 0"),
    ("1500000", "unit error"),
])
def test_bad_gold_oz_cell_is_refused(tmp_path, cell, hint):
    path = write(tmp_path, HEADER + f"2017-01,5\n2017-02,{cell}\n")
    assert hint in only_problem(path, 3, "gold_oz")


def test_unquoted_thousands_separator_is_a_field_count_problem(tmp_path):
    path = write(tmp_path, HEADER + "2017-01,6,895\n")
    assert "2 comma-separated fields" in only_problem(path, 2, "fields")


@pytest.mark.parametrize(("column", "cell", "hint"), [
    ("ore_purchased_t", "-1", ">= 0"),
    ("ore_processed_t", "2000000", "unit error"),
    ("head_grade_gpt", "0", "from 0.001 to 10,000 g/t"),
    ("head_grade_gpt", "1e300", "from 0.001 to 10,000 g/t"),
    ("recovery_pct", "100.5", "0 to 100"),
    ("capacity_tpd", "0", "> 0"),
    ("capacity_tpd", "1e12", "at most 32,258 t/day"),
    ("capacity_tpd", "300 tpd", "a number"),
])
def test_bad_optional_column_cell_is_refused(tmp_path, column, cell, hint):
    path = write(tmp_path, f"month,gold_oz,{column}\n2017-01,5,{cell}\n")
    assert hint in only_problem(path, 2, column)


def test_file_without_any_figure_is_refused(tmp_path):
    path = write(tmp_path, HEADER + "2017-01,\n2017-02,\n")
    only_problem(path, 1, "gold_oz")


def test_every_problem_is_reported_at_once(tmp_path):
    text = HEADER + "2017-01,5\n2017-02,-1\n2017-03,five\n2017-04,5\n2017/05,6\n"
    found = problems(write(tmp_path, text))
    assert [p.split(": ")[0].rsplit(":", 1)[1] for p in found] == ["3", "4", "6"]
    assert [p.split(": ")[1] for p in found] == ["gold_oz", "gold_oz", "month"]


# -- file and header -----------------------------------------------------------------------
@pytest.mark.parametrize(("text", "missing"), [
    ("month,oz\n2017-01,5\n", "gold_oz"),
    ("date,gold_oz\n2017-01,5\n", "month"),
])
def test_missing_required_column_is_refused(tmp_path, text, missing):
    assert f"missing {missing}" in only_problem(write(tmp_path, text), 1, "header")


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_is_refused(tmp_path, text):
    assert "empty file" in only_problem(write(tmp_path, text), 1, "header")


def test_header_only_file_is_refused(tmp_path):
    assert "only the header" in only_problem(write(tmp_path, HEADER), 2, "data")


@pytest.mark.parametrize("sep", [";", "\t"])
def test_other_delimiter_is_named(tmp_path, sep):
    path = write(tmp_path, f"month{sep}gold_oz\n2017-01{sep}5\n")
    assert "delimited" in only_problem(path, 1, "header")


def test_duplicate_column_is_refused(tmp_path):
    path = write(tmp_path, "month,gold_oz,gold_oz \n2017-01,5,6\n")
    assert "'gold_oz' more than once" in only_problem(path, 1, "header")


def test_invalid_utf8_names_its_line(tmp_path):
    path = tmp_path / "history.csv"
    path.write_bytes(b"month,gold_oz\n2017-01,5\n2017-02,\xff\n")
    assert "UTF-8" in only_problem(path, 3, "encoding")


@pytest.mark.parametrize("name", ["history.xlsx", "history"])
def test_unknown_extension_is_refused(tmp_path, name):
    path = write(tmp_path, HEADER + "2017-01,5\n", name)
    assert ".csv or .parquet" in only_problem(path, 0, "file")


def test_missing_file_is_named(tmp_path):
    assert "existing file" in only_problem(tmp_path / "nowhere.csv", 0, "file")


def test_directory_is_refused(tmp_path):
    (tmp_path / "dir.csv").mkdir()
    only_problem(tmp_path / "dir.csv", 0, "file")


# -- Parquet -------------------------------------------------------------------------------
def test_parquet_round_trip_of_a_loaded_frame(tmp_path):
    text = ("month,gold_oz,ore_processed_t,source_url\n"
            "2017-01,5208,8000,a\n2017-02,,,\n2017-03,5184.5,8100,c\n")
    frame = load_production(write(tmp_path, text), today=TODAY)
    frame.to_parquet(tmp_path / "history.parquet")
    back = load_production(tmp_path / "history.parquet", today=TODAY)
    pd.testing.assert_frame_equal(back, frame, check_like=False)
    assert back.attrs["sha256"] == hashlib.sha256(
        (tmp_path / "history.parquet").read_bytes()).hexdigest()


def test_parquet_with_text_months_and_typed_numbers(tmp_path):
    pd.DataFrame({"month": ["2017-01", "2017-02"], "gold_oz": [5.0, np.nan],
                  "capacity_tpd": [300, 300]}).to_parquet(tmp_path / "h.parquet")
    frame = load_production(tmp_path / "h.parquet", today=TODAY)
    assert frame["capacity_tpd"].dtype == np.float64
    assert np.isnan(frame["gold_oz"].iloc[1])


def test_parquet_rows_are_one_based_data_rows(tmp_path):
    pd.DataFrame({"month": ["2017-01", "2017-02", "2017-03"],
                  "gold_oz": [5.0, -1.0, np.inf]}).to_parquet(tmp_path / "h.parquet")
    found = problems(tmp_path / "h.parquet")
    assert [p.split(": ")[0] for p in found] == [f"{tmp_path / 'h.parquet'}:2",
                                                  f"{tmp_path / 'h.parquet'}:3"]


def test_truncated_parquet_is_refused(tmp_path):
    pd.DataFrame({"month": ["2017-01"], "gold_oz": [5.0]}).to_parquet(tmp_path / "h.parquet")
    data = (tmp_path / "h.parquet").read_bytes()
    (tmp_path / "h.parquet").write_bytes(data[: len(data) // 2])
    assert "readable Parquet" in only_problem(tmp_path / "h.parquet", 0, "file")


# -- guidance ------------------------------------------------------------------------------
def test_guidance_dates_and_alias(tmp_path):
    text = ("year,low_oz,high_oz,announced_on,point_oz\n2017,88000,92000,2017-01-12,\n"
            "2017,78000,80000,2017-10,\n2015,75000,80000,2015,\n")
    frame = load_guidance(write(tmp_path, text, "g.csv"))
    assert list(frame.columns[:5]) == ["year", "metric", "low", "high", "announced"]
    assert frame["year"].dtype == np.int64
    assert frame["announced"].tolist() == [pd.Timestamp("2017-01-12"),
                                           pd.Timestamp("2017-10-01"),
                                           pd.Timestamp("2015-01-01")]


def test_guidance_single_figure_row_is_left_out_and_logged(tmp_path, caplog):
    text = "year,low_oz,high_oz,announced,point_oz\n2011,,,2011,45000\n2017,1,2,2017-01-12,\n"
    with caplog.at_level(logging.INFO, logger="models.data.tables"):
        frame = load_guidance(write(tmp_path, text, "g.csv"))
    assert frame["year"].tolist() == [2017]
    assert "single figure" in caplog.text and ":2:" in caplog.text


@pytest.mark.parametrize(("row", "field", "hint"), [
    ("2017,92000,88000,2017-01-12", "high_oz", "at least low_oz 92000"),
    ("1850,1,2,2017-01-12", "year", "1900-2200"),
    ("x,1,2,2017-01-12", "year", "YYYY"),
    ("2017,,2,2017-01-12", "low_oz", "a value"),
    ("2017,1,2,12/01/2017", "announced", "YYYY-MM-DD"),
])
def test_bad_guidance_row_is_refused(tmp_path, row, field, hint):
    path = write(tmp_path, f"year,low_oz,high_oz,announced\n{row}\n", "g.csv")
    assert hint in only_problem(path, 2, field, load_guidance)


# -- periods -------------------------------------------------------------------------------
def test_period_syntax(tmp_path):
    text = ("period,metric,value,unit\n2017,gold_produced,79897,oz\n2017Q4,gold_produced,1,oz\n"
            "2016H2,gold_produced,2,oz\n2017-01..2017-09,gold_produced,3,oz\n")
    frame = load_periods(write(tmp_path, text, "p.csv"))
    spans = [(str(s), str(e)) for s, e in zip(frame["start"], frame["end"], strict=True)]
    assert spans == [("2017-01", "2017-12"), ("2017-10", "2017-12"), ("2016-07", "2016-12"),
                     ("2017-01", "2017-09")]
    assert frame["period"].tolist()[0] == "2017"


@pytest.mark.parametrize(("row", "field", "hint"), [
    ("2017Q5,gold,1,oz", "period", "YYYYQn"),
    ("2017-09..2017-01,gold,1,oz", "period", "no later than"),
    ("2017,gold,,oz", "value", "a value"),
    ("2017,,1,oz", "metric", "metric"),
    ("2017,gold,-1,oz", "value", ">= 0"),
])
def test_bad_period_row_is_refused(tmp_path, row, field, hint):
    path = write(tmp_path, f"period,metric,value,unit\n{row}\n", "p.csv")
    assert hint in only_problem(path, 2, field, load_periods)
