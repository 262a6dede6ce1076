"""Atomicity of publishing: kills at chosen moments, a held lock, two racing publishes, recovery.

The kill tests run ``orecast publish`` in a subprocess that sends itself SIGKILL at a named
step (``ORECAST_TEST_KILL_AT``), so no cleanup code runs, exactly as with ``kill -9``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from forecast.cli import exit_code
from forecast.files import exchange_dirs
from forecast.publish import PublishRequest, publish
from forecast.publish.placing import (
    FILES,
    PublishLockedError,
    publications,
    read_manifest,
    recover,
    root_lock,
    update_latest,
)
from tests.forecast.test_publish import registered_store

N_PATHS = 500


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


def _fake_publication(folder: Path, as_of: str, created_at: str, key: str) -> None:
    """A complete publication folder with placeholder contents (digests that match)."""
    folder.mkdir(parents=True)
    files = {}
    for name in FILES:
        if name != "manifest.json":
            (folder / name).write_text(f"{name} {key}\n")
            files[name] = hashlib.sha256((folder / name).read_bytes()).hexdigest()
    manifest = {"year": int(as_of[:4]), "as_of": as_of, "created_at": created_at,
                "key_sha256": key, "key": {}, "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest))


def test_exchange_swaps_two_folders(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    (a / "x").write_text("from a")
    (b / "y").write_text("from b")
    if not exchange_dirs(a, b):
        pytest.skip("renameat2(RENAME_EXCHANGE) not supported on this file system")
    assert (b / "x").read_text() == "from a" and (a / "y").read_text() == "from b"


def test_read_manifest_rejects_an_incomplete_folder(tmp_path):
    folder = tmp_path / "2017" / "2017-06"
    _fake_publication(folder, "2017-06", "2017-07-01T00:00:00Z", "k1")
    assert read_manifest(folder)["key_sha256"] == "k1"
    (folder / "report.html").write_text("truncated")
    assert read_manifest(folder) is None
    (folder / "report.html").unlink()
    assert read_manifest(folder) is None


def test_latest_is_a_relative_link_to_the_latest_as_of(tmp_path):
    assert update_latest(tmp_path) is None
    _fake_publication(tmp_path / "2017" / "2017-06", "2017-06", "t1", "k1")
    _fake_publication(tmp_path / "2018" / "2017-12", "2017-12", "t2", "k2")
    (tmp_path / "2017" / "2017-09.superseded-20180101T000000Z").mkdir()
    assert update_latest(tmp_path) == tmp_path / "2018" / "2017-12"
    assert os.readlink(tmp_path / "latest") == "2018/2017-12"


def test_recover_keeps_a_swapped_out_publication_and_drops_unfinished_staging(tmp_path):
    # A kill right after the swap: the old publication sits in the staging folder.
    _fake_publication(tmp_path / "2017" / "2017-06", "2017-06", "2017-08-01T00:00:00Z", "new")
    _fake_publication(tmp_path / ".staging-2017-06-aaaa", "2017-06", "2017-07-01T00:00:00Z",
                      "old")
    # A kill while writing: an incomplete staging folder.
    (tmp_path / ".staging-2017-07-bbbb").mkdir()
    (tmp_path / ".staging-2017-07-bbbb" / "monthly.csv").write_text("partial")
    notes = recover(tmp_path)
    assert len(notes) == 2
    assert not list(tmp_path.glob(".staging-*"))
    kept = list((tmp_path / "2017").glob("2017-06.superseded-*"))
    assert len(kept) == 1 and read_manifest(kept[0])["key_sha256"] == "old"
    assert read_manifest(tmp_path / "2017" / "2017-06")["key_sha256"] == "new"
    assert (tmp_path / "latest").resolve() == (tmp_path / "2017" / "2017-06").resolve()


def test_a_held_lock_makes_publish_fail_fast_with_exit_75(store, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "root"
    with root_lock(root):
        with pytest.raises(PublishLockedError, match="another publish") as err:
            publish(PublishRequest(out=root, as_of="2017-06", n_paths=N_PATHS,
                                   tracking_uri=store))
    assert exit_code(err.value) == 75
    assert not (root / "2017").exists()


def _run(store: str, root: Path, cwd: Path, *args: str, env: dict[str, str] | None = None
         ) -> subprocess.Popen:
    full_env = {**os.environ, "MLFLOW_TRACKING_URI": store, "ORECAST_LOG_LEVEL": "WARNING",
                **(env or {})}
    # ``python -m forecast.cli`` would run a second copy of the CLI module without commands.
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "publish", "--out",
           str(root), "--as-of",
           "2017-06", *args]
    return subprocess.Popen(cmd, cwd=cwd, env=full_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _check_consistent(root: Path, allowed_keys: set[str]) -> str:
    """Every visible folder is a complete publication; latest points at one. Its key."""
    for year in root.glob("[0-9]*"):
        for folder in year.iterdir():
            assert read_manifest(folder) is not None, f"{folder} is not complete"
    current = read_manifest(root / "2017" / "2017-06")
    assert current is not None and current["key_sha256"] in allowed_keys
    assert read_manifest((root / "latest").resolve()) is not None
    return current["key_sha256"]


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["staged:guidance_chart.png", "exchanged", "placed"])
def test_a_kill_at_any_step_leaves_the_old_or_the_new_publication(store, tmp_path,
                                                                   monkeypatch, kill_at):
    monkeypatch.chdir(tmp_path)
    root = tmp_path / "root"
    old = publish(PublishRequest(out=root, as_of="2017-06", n_paths=N_PATHS,
                                 tracking_uri=store))
    new = publish(PublishRequest(out=root, as_of="2017-06", n_paths=600, force=True,
                                 dry_run=True, tracking_uri=store))
    assert new.would == "supersede"
    proc = _run(store, root, tmp_path, "--n-paths", "600", "--force",
                env={"ORECAST_TEST_KILL_AT": kill_at})
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == -9, err
    key = _check_consistent(root, {old.key_sha256, new.key_sha256})
    assert key == (old.key_sha256 if kill_at.startswith("staged:") else new.key_sha256)

    # The next run tidies up: no staging left, the old publication kept, latest right.
    again = publish(PublishRequest(out=root, as_of="2017-06", n_paths=600, force=True,
                                   tracking_uri=store))
    assert not list(root.glob(".staging-*"))
    assert read_manifest(again.path)["key_sha256"] == again.key_sha256
    superseded = [read_manifest(p)["key_sha256"] for p in (root / "2017").glob("*.superseded-*")]
    assert old.key_sha256 in superseded
    assert (root / "latest").resolve() == again.path.resolve()


@pytest.mark.slow
def test_two_publishes_started_together_one_wins_the_other_reports_it(store, tmp_path):
    root = tmp_path / "root"
    # The winner holds the lock a while, so the other one meets it.
    env = {"ORECAST_TEST_PAUSE_AT": "locked:4"}
    procs = [_run(store, root, tmp_path, "--n-paths", str(N_PATHS), env=env) for _ in range(2)]
    results = [(p.returncode, out, err) for p in procs
               for out, err in [p.communicate(timeout=300)]]
    codes = sorted(code for code, _, _ in results)
    published = [out for code, out, _ in results if "published:" in out]
    assert len(published) == 1, results
    loser = [r for r in results if "published:" not in r[1]][0]
    if loser[0] == 75:
        assert "another publish" in loser[2] and loser[2].count("\n") == 1
    else:  # it came after the winner had finished: same inputs, a no-op
        assert loser[0] == 0 and "unchanged:" in loser[1]
    assert codes[0] == 0
    assert [p.name for p in publications(root)] == ["2017-06"]
    assert read_manifest(root / "2017" / "2017-06") is not None
    assert not list(root.glob(".staging-*"))
