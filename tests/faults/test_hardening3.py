"""Third hardening pass (issue 29), through the command line: a log level that is no level
(13), target years without a backtest origin (15), single-month periods and daily months
(17)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecast.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "data" / "bad" / "clean.csv"
CLI = [sys.executable, "-c", "from forecast.cli import run; run()"]


def _error_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]


# -- 13: ORECAST_LOG_LEVEL that names no level -------------------------------------------
@pytest.mark.parametrize("value", ["BASIC_FORMAT", "verbose", "10"])
def test_a_log_level_that_is_no_level_name_warns_and_the_command_runs(value: str) -> None:
    env = {**os.environ, "ORECAST_LOG_LEVEL": value}
    done = subprocess.run([*CLI, "validate", str(CLEAN)], capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    warnings = [line for line in done.stderr.splitlines() if "ORECAST_LOG_LEVEL" in line]
    assert len(warnings) == 1 and "is not a level" in warnings[0]
    assert "months: 2013-01..2017-12" in done.stdout


# -- 15: --years with no origin ----------------------------------------------------------
@pytest.mark.parametrize(("years", "missing"), [("2030", "2030"), ("2016-2018", "2018")],
                         ids=["after-the-data", "range-past-the-data"])
def test_backtest_years_without_an_origin_are_one_line(tmp_path: Path, capsys, years: str,
                                                       missing: str) -> None:
    out = tmp_path / "bt"
    assert main(["backtest", "--data", str(CLEAN), "--years", years, "--models", "naive",
                 "--n-paths", "50", "--jobs", "1", "--out", str(out)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1, err
    assert err[0].startswith("error: --years: expected target years with at least one "
                             "backtest origin")
    assert f"found none for {missing} ({missing}: after the last month of the data" in err[0]
    assert not out.exists()


def test_a_quarterly_reporters_unfinished_year_has_no_origin(tmp_path: Path, capsys) -> None:
    periods = tmp_path / "quarters.csv"
    rows = [f"{y}Q{q},gold_produced,{20000 + 100 * q},oz" for y in (2014, 2015, 2016)
            for q in (1, 2, 3, 4)] + ["2017Q1,gold_produced,20100,oz",
                                      "2017Q2,gold_produced,20200,oz"]
    periods.write_text("period,metric,value,unit\n" + "\n".join(rows) + "\n")
    assert main(["backtest", "--periods", str(periods), "--years", "2017", "--models",
                 "naive", "--n-paths", "50", "--jobs", "1", "--out",
                 str(tmp_path / "bt")]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and err[0].startswith("error: --years: ") and "none for 2017" in err[0]


def test_train_years_without_an_origin_are_one_line_before_any_run(tmp_path: Path, capsys,
                                                                  monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # a sqlite store's artifacts go to ./mlruns
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main(["train", "--data", str(CLEAN), "--years", "2031", "--models", "naive",
                 "--no-register", "--tracking-uri", uri]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and err[0].startswith("error: --years: ") and "2031" in err[0]
    from mlflow import MlflowClient

    runs = MlflowClient(tracking_uri=uri).search_runs(
        [e.experiment_id for e in MlflowClient(tracking_uri=uri).search_experiments()])
    assert runs == []


# -- 17: a single month as a period, a Parquet month column of daily periods -------------
def test_a_single_month_period_is_read_as_that_month(tmp_path: Path, capsys) -> None:
    # June as its own total and as the span June..June: the same figure, the same forecast.
    history = pd.read_csv(CLEAN)
    monthly = history[history["month"] < "2017-06"]
    data = tmp_path / "to_may.csv"
    monthly.to_csv(data, index=False)
    june = float(history.loc[history["month"] == "2017-06", "gold_oz"].iloc[0])
    outs = {}
    for form in ("2017-06", "2017-06..2017-06"):
        periods = tmp_path / f"june_{len(form)}.csv"
        periods.write_text(f"period,metric,value,unit\n{form},gold_produced,{june},oz\n")
        out = tmp_path / f"out_{len(form)}"
        assert main(["forecast", "--data", str(data), "--periods", str(periods), "--as-of",
                     "2017-06", "--n-paths", "200", "--out", str(out)]) == 0, \
            capsys.readouterr().err
        outs[form] = json.loads((out / "annual.json").read_text())
    single, span = outs["2017-06"], outs["2017-06..2017-06"]
    assert single["ytd_oz"] == pytest.approx(history["gold_oz"][48:54].sum())
    # The figures agree; only the labels of the period as written differ.
    labels = {"data_sha256", "ytd_spans"}
    assert {k: v for k, v in single.items() if k not in labels} == \
        {k: v for k, v in span.items() if k not in labels}


def test_a_parquet_month_column_of_daily_periods_is_read_as_months(tmp_path: Path,
                                                                   capsys) -> None:
    frame = pd.read_csv(CLEAN)
    frame["month"] = pd.to_datetime(frame["month"]).dt.to_period("D")
    data = tmp_path / "daily.parquet"
    frame.to_parquet(data)
    assert pd.read_parquet(data)["month"].dtype == "period[D]"
    outs = {}
    for name, source in (("daily", data), ("clean", CLEAN)):
        assert main(["forecast", "--data", str(source), "--as-of", "2017-06", "--n-paths",
                     "200", "--out", str(tmp_path / name)]) == 0, capsys.readouterr().err
        outs[name] = (tmp_path / name / "monthly.csv").read_bytes()
    assert outs["daily"] == outs["clean"]


def test_a_quarter_in_a_month_column_is_still_refused(tmp_path: Path, capsys) -> None:
    frame = pd.read_csv(CLEAN).head(12)
    frame["month"] = pd.period_range("2013Q1", periods=12, freq="Q")
    data = tmp_path / "quarters.parquet"
    frame.to_parquet(data)
    assert main(["validate", str(data)]) == 2
    assert _error_lines(capsys)[0].startswith(f"error: {data}:1: month: expected a month")


# -- 10: dates with a UTC offset ---------------------------------------------------------
def test_a_release_date_with_a_utc_offset_among_plain_dates_is_read(tmp_path: Path,
                                                                   capsys) -> None:
    history = pd.read_csv(CLEAN)
    data = tmp_path / "to_2016.csv"
    history[history["month"] < "2017-01"].to_csv(data, index=False)
    q1 = float(history.loc[history["month"].between("2017-01", "2017-03"), "gold_oz"].sum())
    periods = tmp_path / "quarters.csv"
    # The restatement, dated with an offset, is the later release: it wins.
    periods.write_text("period,metric,value,unit,release_date\n"
                       f"2017Q1,gold_produced,{q1},oz,2017-04-20\n"
                       f"2017Q1,gold_produced,{q1 + 300},oz,2017-07-20T10:00:00+05:00\n")
    out = tmp_path / "out"
    assert main(["forecast", "--data", str(data), "--periods", str(periods), "--as-of",
                 "2017-03", "--n-paths", "200", "--out", str(out)]) == 0, \
        capsys.readouterr().err
    assert json.loads((out / "annual.json").read_text())["ytd_oz"] == pytest.approx(q1 + 300)


def test_a_parquet_guidance_with_a_zoned_announced_column_is_read(tmp_path: Path,
                                                                 capsys) -> None:
    guidance = tmp_path / "guidance.parquet"
    pd.DataFrame({"year": [2017, 2017], "low_oz": [80000.0, 70000.0],
                  "high_oz": [90000.0, 75000.0],
                  "announced": pd.to_datetime(["2017-01-15 09:00", "2017-09-01 09:00"])
                  .tz_localize("Asia/Tokyo")}).to_parquet(guidance)
    out = tmp_path / "out"
    assert main(["forecast", "--data", str(CLEAN), "--guidance", str(guidance), "--as-of",
                 "2017-06", "--n-paths", "200", "--out", str(out)]) == 0, \
        capsys.readouterr().err
    annual = json.loads((out / "annual.json").read_text())
    assert (annual["guidance_low"], annual["guidance_high"]) == (80000.0, 90000.0)
