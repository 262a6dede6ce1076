"""``validate_file``: the coverage summary of a production file."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from forecast.validate import month_ranges, validate_file
from models.core.errors import DataValidationError


def test_embedded_summary_names_the_gap_and_the_complete_year():
    summary = validate_file(None)
    assert "2016-01..2017-12 (24 months, 20 with a gold_oz figure)" in summary
    assert "gaps: 2016-07..2016-10 (4 months without a figure)" in summary
    assert "complete years: 2017 79,897 oz" in summary
    assert "2016 " not in summary.split("complete years:")[1]
    assert "ore_processed_t (1 of 24 months)" in summary


def test_file_summary_lists_every_gap(tmp_path):
    months = pd.period_range("2020-01", "2021-12", freq="M")
    missing = {"2020-03", "2021-05", "2021-06"}
    body = "".join(f"{m},{'' if str(m) in missing else 100}\n" for m in months)
    path = tmp_path / "h.csv"
    path.write_text("month,gold_oz,capacity_tpd\n" + body.replace("\n", ",300\n"))
    summary = validate_file(str(path), today=dt.date(2022, 1, 1))
    assert "gaps: 2020-03, 2021-05..2021-06 (3 months without a figure)" in summary
    assert "complete years: none" in summary
    assert "capacity_tpd (24 of 24 months)" in summary
    assert f"source: {path}" in summary


def test_complete_years_are_totalled(tmp_path):
    body = "".join(f"{m},{i}\n" for i, m in enumerate(pd.period_range("2019-01", "2020-03",
                                                                       freq="M")))
    path = tmp_path / "h.csv"
    path.write_text("month,gold_oz\n" + body)
    summary = validate_file(str(path), today=dt.date(2022, 1, 1))
    assert f"complete years: 2019 {sum(range(12))} oz" in summary
    assert "gaps: none" in summary and "optional columns: none" in summary


def test_bad_file_raises_every_problem(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("month,gold_oz\n2020-01,-1\n2020-02,x\n")
    with pytest.raises(DataValidationError) as err:
        validate_file(str(path), today=dt.date(2022, 1, 1))
    assert len(err.value.problems) == 2


def test_month_ranges():
    months = pd.PeriodIndex(["2016-07", "2016-08", "2017-01", "2016-09"], freq="M")
    assert month_ranges(months) == ["2016-07..2016-09", "2017-01"]
    assert month_ranges(pd.PeriodIndex([], freq="M")) == []
