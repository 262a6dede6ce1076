"""A sqlite tracking store that cannot be used -- random bytes, truncated, locked by another
process, or a new store on a full disk -- ends train, publish and guidance with exit 3 and one
line naming the store (issue 29, item 14)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecast.cli import main
from tests.faults.test_publish_faults import _fill, _mounted

CLI = [sys.executable, "-c", "from forecast.cli import run; run()"]


def _commands(uri: str, out: Path) -> dict[str, list[str]]:
    return {
        "train": ["train", "--models", "naive", "--years", "2017", "--n-paths", "50",
                  "--no-figures", "--tracking-uri", uri],
        "publish": ["publish", "--as-of", "2017-06", "--out", str(out / "root"),
                    "--tracking-uri", uri],
        "guidance": ["guidance", "--year", "2017", "--as-of", "2017-06", "--out",
                     str(out / "advice"), "--tracking-uri", uri],
    }


COMMANDS = ["train", "publish", "guidance"]


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # nothing of a failed job may land in the checkout


@pytest.fixture(scope="module")
def mlflow_store(tmp_path_factory) -> bytes:
    """The bytes of a new, valid MLflow sqlite store."""
    from mlflow import MlflowClient

    db = tmp_path_factory.mktemp("store") / "mlflow.db"
    uri = f"sqlite:///{db}"
    MlflowClient(tracking_uri=uri, registry_uri=uri).search_experiments()
    return db.read_bytes()


def _assert_store_named(code: int, err: str, db: Path) -> None:
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert code == 3, err[-3000:]
    assert "Traceback" not in err
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"error: sqlite:///{db}: the tracking store {db} cannot be used")


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("damage", ["random-bytes", "truncated"])
def test_a_corrupted_store_is_exit_3_naming_it(tmp_path: Path, capsys, mlflow_store: bytes,
                                               command: str, damage: str) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(os.urandom(20000) if damage == "random-bytes"
                   else mlflow_store[:len(mlflow_store) // 3])
    before = db.read_bytes()
    code = main(_commands(f"sqlite:///{db}", tmp_path)[command])
    err = capsys.readouterr().err
    _assert_store_named(code, err, db)
    assert "expected an MLflow sqlite store" in err
    assert db.read_bytes() == before  # the probe only reads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db"]


@pytest.fixture
def locked_store(tmp_path: Path, mlflow_store: bytes) -> Iterator[Path]:
    """A valid store another process holds with an exclusive lock."""
    db = tmp_path / "mlflow.db"
    db.write_bytes(mlflow_store)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sqlite3, sys, time\n"
         "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
         "con.execute('BEGIN EXCLUSIVE')\n"
         "print('locked', flush=True)\n"
         "time.sleep(120)\n", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        yield db
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_store_locked_by_another_process_is_exit_3_naming_it(tmp_path: Path,
                                                               locked_store: Path,
                                                               command: str) -> None:
    done = subprocess.run([*CLI, *_commands(f"sqlite:///{locked_store}", tmp_path)[command]],
                          capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)
    _assert_store_named(done.returncode, done.stderr, locked_store)
    assert "database is locked" in done.stderr
    with pytest.raises(sqlite3.OperationalError):  # still held: nothing waited it out
        sqlite3.connect(locked_store, timeout=0).execute("BEGIN IMMEDIATE")


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    for disk in _mounted(tmp_path, "size=1m"):
        _fill(disk)
        yield disk


@pytest.mark.parametrize("command", COMMANDS)
def test_a_new_store_on_a_full_disk_is_exit_3_naming_it(tmp_path: Path, capsys,
                                                        full_disk: Path, command: str) -> None:
    db = full_disk / "mlflow.db"
    code = main(_commands(f"sqlite:///{db}", tmp_path)[command])
    err = capsys.readouterr().err
    assert code == 3, err[-3000:]
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert len(lines) == 1 and lines[0].startswith(
        f"error: sqlite:///{db}: cannot make the tracking store {db} (No space left on device)")
    assert sorted(p.name for p in full_disk.iterdir()) == ["filler"]


def _locked_midway(*args, **kwargs):
    """What MLflow's SQLAlchemy store raises when the store is locked in the middle of a job
    (not an MlflowException)."""
    import sqlalchemy.exc

    raise sqlalchemy.exc.OperationalError("INSERT INTO runs ...", {},
                                          sqlite3.OperationalError("database is locked"))


@pytest.mark.parametrize(("command", "target"), [
    ("train", "training.train._train"),
    ("publish", "forecast.publish.job.compute"),
], ids=["train", "publish"])
def test_a_store_that_fails_after_the_check_is_exit_3_naming_it(tmp_path: Path, capsys,
                                                                monkeypatch,
                                                                mlflow_store: bytes,
                                                                command: str,
                                                                target: str) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(mlflow_store)
    monkeypatch.setattr(target, _locked_midway)
    code = main(_commands(f"sqlite:///{db}", tmp_path)[command])
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error")]
    assert code == 3, err[-3000:]
    assert len(lines) == 1 and lines[0].startswith(f"error: sqlite:///{db}: the tracking store "
                                                   f"failed")
    assert "database is locked; expected a store no other process holds locked" in lines[0]
