"""Option values obey the rules of the same quantity in a file: refused, never reread."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.cli import main


def run(args: list[str], capsys) -> tuple[int, list[str]]:
    code = main(args)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


@pytest.mark.parametrize("as_of", ["2017-Q3", "2017-7", "2017-13", "0000-01", "17-06",
                                   "2017-06-30"])
def test_an_as_of_that_is_not_yyyy_mm_is_refused(tmp_path, capsys, as_of):
    code, err = run(["forecast", "--as-of", as_of, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err) == 1 and "expected a month as YYYY-MM" in err[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("text", ["inf:inf", "0:inf", "1e309:2e309", "nan:1", "-1:5",
                                  "9:8", "1:2e8"])
def test_a_guidance_range_must_be_finite_and_in_bounds(tmp_path, capsys, text):
    code, err = run(["forecast", "--as-of", "2017-06", "--guidance-range", text,
                     "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err) == 1 and "--guidance-range" in err[0]


@pytest.mark.parametrize("item", ["ore_processed_t=inf", "ore_processed_t=1e308",
                                  "ore_processed_t=nan", "ore_processed_t=-1"])
def test_a_scenario_value_must_be_finite_and_in_bounds(tmp_path, capsys, item):
    code, err = run(["forecast", "--as-of", "2017-06", "--model", "sarimax", "--scenario",
                     item, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err) == 1 and "--scenario" in err[0]


def test_the_default_models_mean_is_finite_with_an_unpublished_past_month(tmp_path, capsys,
                                                                          dynacor):
    # One month of 2016 left out: the annual mean was 1.5e20 oz when share_runrate's
    # predictive was a Student-t on the log scale.
    data = tmp_path / "gap.csv"
    frame = dynacor.monthly[["gold_oz"]].copy()
    frame.loc[pd.Period("2016-03", "M"), "gold_oz"] = np.nan
    frame.reset_index().assign(month=lambda d: d["month"].astype(str)).to_csv(data,
                                                                               index=False)
    periods = tmp_path / "p.csv"
    from models.data.datasets import dynacor_path

    periods.write_bytes(dynacor_path("periods.csv").read_bytes())
    for seed in (0, 1):
        out = tmp_path / f"o{seed}"
        code, _ = run(["forecast", "--data", str(data), "--periods", str(periods),
                       "--as-of", "2017-06", "--seed", str(seed), "--out", str(out)], capsys)
        assert code == 0
        text = (out / "annual.json").read_text()
        annual = json.loads(text)
        assert "Infinity" not in text and "NaN" not in text
        assert annual["p05"] <= annual["mean"] <= 2 * annual["p95"]


@pytest.mark.parametrize(("option", "value", "bound"), [
    ("--seed", "-1", "greater than or equal to 0"),
    ("--year", "0", "greater than or equal to 1900"),
    ("--year", "99999", "less than or equal to 2200"),
    ("--n-paths", "1000000000", "less than or equal to 200000"),
])
def test_numeric_options_out_of_range_are_one_line_and_exit_2(tmp_path, capsys, option,
                                                              value, bound):
    code, err = run(["forecast", "--as-of", "2017-06", option, value, "--out",
                     str(tmp_path / "o")], capsys)
    assert code == 2 and len(err) == 1 and option in err[0] and bound in err[0]
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("column", ["gold_oz", "month"])
def test_a_bulk_column_under_a_reserved_name_is_refused(tmp_path, capsys, column):
    data = tmp_path / "s.csv"
    pd.DataFrame({"series_id": ["a"] * 3, "timestamp": ["2017-01", "2017-02", "2017-03"],
                  "value": [1.0, 2.0, 3.0], column: [1, 2, 3]}).to_csv(data, index=False)
    code, err = run(["bulk", "--input", str(data), "--horizon", "3", "--output",
                     str(tmp_path / "fc.csv")], capsys)
    assert code == 2 and err[0].startswith(f"error: {data}:1: {column}: expected no column")
    assert not (tmp_path / "fc.csv").exists()


def test_a_bulk_output_named_like_the_failures_file_is_refused(tmp_path, capsys):
    sample = Path(__file__).resolve().parents[2] / "docs" / "examples" / "bulk.csv"
    code, err = run(["bulk", "--input", str(sample), "--horizon", "3",
                     "--output", str(tmp_path / "failures.csv")], capsys)
    assert code == 2 and len(err) == 1 and "name of the failures file" in err[0]


@pytest.mark.parametrize(("command", "args"), [
    ("forecast", ["--as-of", "0013-01"]),
    ("forecast", ["--as-of", "2200-01"]),
    ("backtest", ["--years", "0013", "--models", "naive"]),
    ("backtest", ["--years", "1899-2017", "--models", "naive"]),
])
def test_years_outside_the_supported_range_are_refused(tmp_path, capsys, command, args):
    code, err = run([command, *args, "--out", str(tmp_path / "o")], capsys)
    assert code == 2 and len(err) == 1 and "1900" in err[0]
    assert not (tmp_path / "o").exists()
