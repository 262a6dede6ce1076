"""An output never replaces an input of the same command nor a file it did not write, and a
target the system could never create is refused before any work (issue 29, items 1, 2, 3
and 12), through the command line."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from forecast.cli import main

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "data" / "bad" / "clean.csv"
BULK_SAMPLE = ROOT / "docs" / "examples" / "bulk.csv"
FORECAST = ["forecast", "--as-of", "2017-06", "--n-paths", "200"]


def _error_lines(capsys) -> list[str]:
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# -- item 1: forecast --out over a folder holding the command's own inputs -----------------
def test_forecast_out_holding_its_production_history_as_monthly_csv_is_refused(
        tmp_path: Path, capsys) -> None:
    folder = tmp_path / "plant"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "monthly.csv")
    before = _snapshot(folder)
    assert main([*FORECAST, "--data", str(folder / "monthly.csv"), "--out", str(folder)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and err[0].startswith("error: --out: ")
    assert "monthly.csv is an input of this command" in err[0]
    assert _snapshot(folder) == before


def test_forecast_out_holding_its_period_totals_as_quarterly_csv_is_refused(
        tmp_path: Path, capsys) -> None:
    folder = tmp_path / "plant"
    folder.mkdir()
    (folder / "quarterly.csv").write_text("period,metric,value,unit\n"
                                          "2016,gold_produced,79594,oz\n")
    before = _snapshot(folder)
    assert main([*FORECAST, "--data", str(CLEAN), "--periods", str(folder / "quarterly.csv"),
                 "--out", str(folder)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and "quarterly.csv is an input of this command" in err[0]
    assert _snapshot(folder) == before


def test_an_input_reached_through_a_link_is_still_an_input(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "plant"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "monthly.csv")
    os.link(folder / "monthly.csv", tmp_path / "history.csv")
    before = _snapshot(folder)
    assert main([*FORECAST, "--data", str(tmp_path / "history.csv"),
                 "--out", str(folder)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and "read as" in err[0] and "history.csv" in err[0]
    assert _snapshot(folder) == before


def test_a_file_with_an_output_name_that_this_command_did_not_write_is_kept(
        tmp_path: Path, capsys) -> None:
    # Not an input of this run (the embedded data is): still a file the forecast never wrote.
    folder = tmp_path / "plant"
    folder.mkdir()
    shutil.copy(CLEAN, folder / "monthly.csv")
    before = _snapshot(folder)
    assert main([*FORECAST, "--out", str(folder)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and "monthly.csv that this command did not write" in err[0]
    assert _snapshot(folder) == before


def test_an_earlier_forecast_is_still_replaced(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert main([*FORECAST, "--out", str(out)]) == 0
    first = _snapshot(out)
    assert main([*FORECAST, "--out", str(out), "--seed", "4"]) == 0
    second = _snapshot(out)
    assert sorted(second) == sorted(first) and second["annual.json"] != first["annual.json"]


# -- item 2: bulk --output F with F the input --------------------------------------------
@pytest.mark.parametrize("link", [False, True], ids=["same-path", "symlink"])
def test_bulk_output_that_is_its_input_is_refused(tmp_path: Path, capsys, link: bool) -> None:
    data = tmp_path / "series.csv"
    shutil.copy(BULK_SAMPLE, data)
    given = data
    if link:
        given = tmp_path / "alias.csv"
        given.symlink_to(data)
    before = data.read_bytes()
    assert main(["bulk", "--input", str(given), "--horizon", "3", "--output", str(data),
                 "--no-progress"]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1 and err[0].startswith("error: --output: ")
    assert "input" in err[0]
    assert data.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["series.csv"] + (["alias.csv"] if link else []))


# -- item 3: two bulk jobs into one folder keep their own failure records ----------------
def test_two_bulk_jobs_into_one_folder_keep_their_own_failure_records(tmp_path: Path) -> None:
    ok = pd.DataFrame({"series_id": "long", "timestamp": [str(p) for p in pd.period_range(
        "2014-01", periods=36, freq="M")], "value": [100.0 + (i % 12) for i in range(36)]})
    tiny = pd.DataFrame({"series_id": "tiny", "timestamp": ["2017-05", "2017-06"],
                         "value": [10.0, 12.0]})
    first_in, second_in = tmp_path / "a.csv", tmp_path / "b.csv"
    pd.concat([ok, tiny]).to_csv(first_in, index=False)
    ok.to_csv(second_in, index=False)
    args = ["--horizon", "3", "--model", "theta", "--n-paths", "50", "--no-progress"]
    # The first job's exit 4 tells its user to read its failure record ...
    assert main(["bulk", "--input", str(first_in), "--output", str(tmp_path / "fa.csv"),
                 *args]) == 4
    # ... which a second job writing another output into the folder must leave alone.
    assert main(["bulk", "--input", str(second_in), "--output",
                 str(tmp_path / "fb.parquet"), *args]) == 0
    first = pd.read_csv(tmp_path / "fa.csv.failures.csv")
    assert first["series_id"].tolist() == ["tiny"]
    assert pd.read_csv(tmp_path / "fb.parquet.failures.csv").empty


def test_a_bulk_output_named_like_a_failure_record_is_refused(tmp_path: Path, capsys) -> None:
    assert main(["bulk", "--input", str(BULK_SAMPLE), "--horizon", "3", "--output",
                 str(tmp_path / "fa.csv.failures.csv"), "--no-progress"]) == 2
    assert "name of the failures file" in _error_lines(capsys)[0]
    assert list(tmp_path.iterdir()) == []


# -- item 12: a target name too long is refused before any work --------------------------
@pytest.mark.parametrize(("command", "flag"), [
    (["forecast", "--as-of", "2017-06", "--data", "{fifo}"], "--out"),
    (["backtest", "--years", "2017", "--data", "{fifo}"], "--out"),
    # no data option: a store that cannot answer would fail first if it were asked first
    (["guidance", "--year", "2017", "--as-of", "2017-06", "--tracking-uri",
      "http://127.0.0.1:9"], "--out"),
    (["bulk", "--input", "{fifo}", "--horizon", "3", "--no-progress"], "--output"),
], ids=["forecast", "backtest", "guidance", "bulk"])
def test_an_output_name_longer_than_the_file_system_allows_is_refused_before_any_work(
        tmp_path: Path, capsys, command: list[str], flag: str) -> None:
    # The input is a named pipe: a command that read its inputs first would say so instead.
    fifo = tmp_path / "input.csv"
    os.mkfifo(fifo)
    args = [a.replace("{fifo}", str(fifo)) for a in command]
    name = "x" * 300 + (".csv" if flag == "--output" else "")
    assert main([*args, flag, str(tmp_path / name)]) == 2
    err = _error_lines(capsys)
    assert len(err) == 1, err
    assert err[0].startswith(f"error: {flag}: expected file and folder names of at most")
    assert [p.name for p in tmp_path.iterdir()] == ["input.csv"]


def test_a_name_the_system_accepts_writes_its_output(tmp_path: Path, capsys) -> None:
    # 250 bytes: valid, although the hidden staging folder beside it adds a prefix and suffix.
    out = tmp_path / ("é" * 125)
    assert main([*FORECAST, "--out", str(out)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]


# -- item 16: two bulk jobs into the same output folder ----------------------------------
def test_a_second_bulk_job_into_a_folder_being_written_stops_at_once_exit_75(
        tmp_path: Path) -> None:
    import json
    import subprocess
    import sys
    import time

    from tests.faults import write_series_csv

    data = write_series_csv(tmp_path / "plants.csv", 20, 48, seed=3)
    out = tmp_path / "out"
    args = [sys.executable, "-c", "from forecast.cli import run; run()", "-q", "bulk",
            "--input", str(data), "--output", f"{out}/", "--horizon", "6", "--model",
            "theta_ses", "--n-paths", "50", "--chunk-size", "5", "--no-progress"]
    # The first job pauses after its first part, holding the folder.
    first = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "ORECAST_TEST_PAUSE_AT": "bulk-part:0:8"})
    try:
        deadline = time.monotonic() + 60
        while not list(tmp_path.glob(".out.parts-*.done/*.json")):
            assert first.poll() is None and time.monotonic() < deadline, first.communicate()
            time.sleep(0.1)
        started = time.monotonic()
        second = subprocess.run(args, capture_output=True, text=True, timeout=120)
        assert time.monotonic() - started < 30  # stopped at once, did not wait for the first
        assert second.returncode == 75, second.stderr[-2000:]
        err = [line for line in second.stderr.splitlines() if line.startswith("error")]
        assert len(err) == 1 and err[0].startswith(f"error: --output: {out}: another job")
        assert "Traceback" not in second.stderr
    finally:
        stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr[-2000:]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"]["series"] == 20 and len(manifest["parts"]) == 4
    assert not list(tmp_path.glob(".out.parts-*"))  # no staging left behind
