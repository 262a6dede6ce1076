"""Inputs that are not regular files are refused at once; the package's own frame reads back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.cli import main
from models.data.datasets import dynacor
from models.data.digest import data_sha256

CLI = [sys.executable, "-c", "from forecast.cli import run; run()"]


def _cli(args: list[str]) -> subprocess.CompletedProcess:
    # In a child process with a time limit: a reader that blocked on a pipe would hang.
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("command", ["validate", "forecast", "bulk"])
def test_a_named_pipe_is_refused_not_waited_on(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "plant.csv"
    os.mkfifo(fifo)
    args = {"validate": ["validate", str(fifo)],
            "forecast": ["forecast", "--data", str(fifo), "--as-of", "2017-06",
                         "--out", str(tmp_path / "out")],
            "bulk": ["bulk", "--input", str(fifo), "--horizon", "3",
                     "--output", str(tmp_path / "f.csv")]}[command]
    proc = _cli(args)
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2, proc.stderr
    assert lines == [f"error: {fifo}:0: file: expected a regular file, found a named pipe"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plant.csv"]


def test_a_device_or_a_folder_is_refused(tmp_path: Path, capsys) -> None:
    zero = tmp_path / "zero.csv"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert main(["validate", str(zero)]) == 2
    assert "expected a regular file, found a character device" in capsys.readouterr().err
    assert main(["validate", str(folder)]) == 2
    assert "expected a regular file, found a folder" in capsys.readouterr().err


def test_the_validated_frame_written_by_pandas_reads_back(tmp_path: Path, capsys) -> None:
    ds = dynacor()
    own = tmp_path / "own.parquet"
    ds.monthly.to_parquet(own)  # months as periods, the frame's own types
    assert main(["validate", str(own)]) == 0
    capsys.readouterr()
    out = tmp_path / "fc"
    assert main(["forecast", "--data", str(own), "--as-of", "2017-06", "--n-paths", "200",
                 "--out", str(out)]) == 0
    annual = json.loads((out / "annual.json").read_text())
    assert annual["data_sha256"] == data_sha256(ds.monthly)  # the same figures
