"""``--out`` of forecast and backtest: whatever the target, one line and an exit code, and
the folder is replaced as a whole or left as it was."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

import forecast.charts
from forecast.cli import main
from tests.faults.test_publish_faults import _mounted

FORECAST = ["forecast", "--as-of", "2017-06", "--n-paths", "200", "--out"]
FILES = ["annual.json", "fan_chart.png", "monthly.csv", "quarterly.csv"]


def _one_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1, err
    return err[0]


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_existing_file_is_not_a_folder(tmp_path: Path, capsys) -> None:
    target = tmp_path / "out"
    target.write_text("keep me")
    assert main([*FORECAST, str(target)]) == 2
    assert _one_line(capsys).startswith("error: --out: expected a folder")
    assert target.read_text() == "keep me"


def test_a_path_under_a_file_cannot_be_written(tmp_path: Path, capsys) -> None:
    (tmp_path / "file").write_text("x")
    assert main([*FORECAST, str(tmp_path / "file" / "out")]) == 74
    assert "cannot write the output" in _one_line(capsys)


def test_a_folder_holding_other_files_is_refused_untouched(tmp_path: Path, capsys) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.docx").write_text("years of work")
    assert main([*FORECAST, str(target)]) == 2
    assert "thesis.docx" in _one_line(capsys)
    assert _snapshot(target) == {"thesis.docx": b"years of work"}


def test_an_earlier_output_is_replaced_whole_and_a_failure_leaves_it(tmp_path: Path, capsys,
                                                                   monkeypatch) -> None:
    target = tmp_path / "out"
    assert main([*FORECAST, str(target)]) == 0
    before = _snapshot(target)
    assert sorted(before) == FILES

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    # The last file of the new output fails: nothing of it may reach the folder.
    monkeypatch.setattr(forecast.charts, "save_png", disk_full)
    assert main([*FORECAST, str(target), "--seed", "7"]) == 74
    assert "No space left on device" in _one_line(capsys)
    assert _snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging left behind
    monkeypatch.undo()
    assert main([*FORECAST, str(target), "--seed", "7"]) == 0
    after = _snapshot(target)
    assert sorted(after) == FILES and after["annual.json"] != before["annual.json"]


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    yield from _mounted(tmp_path, "size=1m,ro")


@pytest.fixture
def mount_point(tmp_path: Path) -> Iterator[Path]:
    yield from _mounted(tmp_path, "size=16m")


def test_a_read_only_file_system_is_one_line_exit_74(read_only: Path, capsys) -> None:
    assert main([*FORECAST, str(read_only / "out")]) == 74
    assert "Read-only file system" in _one_line(capsys)


def test_a_writable_mount_point_is_a_valid_target(mount_point: Path, capsys) -> None:
    assert main([*FORECAST, str(mount_point)]) == 0
    assert sorted(p.name for p in mount_point.iterdir()) == FILES
    assert main([*FORECAST, str(mount_point), "--seed", "3"]) == 0  # replaced file by file
    assert sorted(p.name for p in mount_point.iterdir()) == FILES
