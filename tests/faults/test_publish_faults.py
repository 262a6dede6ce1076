"""Faults while publishing, with a previous publication in place: nothing lost, nothing partial.

tests/forecast/test_publish.py and test_publish_atomic.py already cover a missing or
corrupted model and an unreachable server on an empty ROOT, an injected ``ENOSPC`` while
writing, and kills at three steps of a ``--force`` publish (the folder is the old or the new
publication). Here:

- a kill -9 at a step of a first publish, then a rerun: the rerun's files are byte for byte
  those of an uninterrupted run (the manifest's ``created_at`` aside);
- a real full disk (a 1 MiB tmpfs filled to the last page) under a previous publication:
  exit 74, the previous publication intact, complete and still ``latest``; once space is
  freed the same command publishes;
- a real file system out of inodes (a tmpfs of 64): the same, for a forced rewrite and for
  the next month; and with inodes for the publication but none for the ``latest`` link,
  exit 74 naming the link, the new publication complete in place, and a rerun points it;
- a missing model version, a corrupted model artifact and an unreachable server with a
  previous publication in place: exit 3, the previous publication untouched.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.publish import PublishRequest, publish
from forecast.publish.placing import FILES, read_manifest
from tests.forecast.test_publish import registered_store

N_PATHS = 500
AS_OF = "2017-06"
#: size of the small disk (a publication takes about 260 KiB)
DISK_SIZE = "1m"


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file under ROOT (relative path -> bytes) and where ``latest`` points."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
             if p.is_file() and not p.is_symlink() and p.name != ".publish.lock"}
    files["latest ->"] = os.readlink(root / "latest").encode()
    return files


def _same_publication(a: Path, b: Path) -> None:
    """Byte-identical files; manifests equal apart from ``created_at``."""
    assert sorted(p.name for p in a.iterdir()) == sorted(FILES)
    assert sorted(p.name for p in b.iterdir()) == sorted(FILES)
    for name in FILES:
        if name != "manifest.json":
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
    ma = json.loads((a / "manifest.json").read_text())
    mb = json.loads((b / "manifest.json").read_text())
    ma.pop("created_at")
    mb.pop("created_at")
    assert ma == mb


def _publish_cmd(root: Path, *more: str) -> list[str]:
    # ``python -m forecast.cli`` would run a second copy of the CLI module without commands.
    return [sys.executable, "-c", "from forecast.cli import run; run()", "publish", "--out",
            str(root), "--as-of", AS_OF, "--n-paths", str(N_PATHS), *more]


@pytest.fixture(scope="module")
def reference(store: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An uninterrupted publication of the same inputs."""
    root = tmp_path_factory.mktemp("reference") / "root"
    result = publish(PublishRequest(out=root, as_of=AS_OF, n_paths=N_PATHS,
                                    tracking_uri=store))
    assert result.status == "published"
    return result.path


# -- kill -9, then the same command again -------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["staged:guidance_chart.png", "staged:manifest.json",
                                     "placed", "latest-staged"])
def test_rerun_after_a_kill_gives_the_uninterrupted_files(store, reference, tmp_path, kill_at):
    root = tmp_path / "root"
    env = {**os.environ, "MLFLOW_TRACKING_URI": store, "ORECAST_LOG_LEVEL": "WARNING",
           "ORECAST_TEST_KILL_AT": kill_at}
    proc = subprocess.run(_publish_cmd(root), cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == -9, proc.stderr
    # Whatever is visible is complete: a publication folder or nothing.
    target = root / "2017" / AS_OF
    assert not target.exists() or read_manifest(target) is not None

    env.pop("ORECAST_TEST_KILL_AT")
    again = subprocess.run(_publish_cmd(root), cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    status = "unchanged:" if kill_at in ("placed", "latest-staged") else "published:"
    assert status in again.stdout
    _same_publication(target, reference)
    assert (root / "latest").resolve() == target.resolve()
    assert not list(root.glob(".staging-*")) and not list(root.glob(".latest.tmp-*"))


# -- a real full disk ---------------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs mounted at ``tmp_path/disk`` (skipped where mounting is not allowed)."""
    yield from _mounted(tmp_path, f"size={DISK_SIZE}")


@pytest.fixture
def few_inodes(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs with room for bytes but for only 64 files, folders and links."""
    yield from _mounted(tmp_path, "size=16m,nr_inodes=64")


def _mounted(tmp_path: Path, options: str) -> Iterator[Path]:
    """A tmpfs with ``options`` mounted at ``tmp_path/disk``, unmounted after the test."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not sys.platform.startswith("linux"):
        pytest.skip("tmpfs is Linux only")
    try:
        proc = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs",
                               str(disk)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        pytest.skip(f"cannot run mount: {exc}")
    if proc.returncode != 0:
        pytest.skip(f"mounting a tmpfs is not allowed here: {proc.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True, timeout=30)


def _fill(disk: Path) -> Path:
    """Write a file until the file system is full (ENOSPC); return it."""
    filler = disk / "filler"
    with open(filler, "wb", buffering=0) as fh:
        block = b"\0" * 4096
        with contextlib.suppress(OSError):
            while True:
                fh.write(block)
    with pytest.raises(OSError) as full:
        (disk / "probe").write_bytes(b"\0" * 8192)
    assert full.value.errno == errno.ENOSPC
    (disk / "probe").unlink(missing_ok=True)
    return filler


@pytest.mark.slow
def test_full_disk_exits_74_and_keeps_the_previous_publication(store, small_disk, tmp_path,
                                                               monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = small_disk / "root"
    first = publish(PublishRequest(out=root, as_of=AS_OF, n_paths=N_PATHS, tracking_uri=store))
    before = _snapshot(root)
    filler = _fill(small_disk)

    args = ["publish", "--out", str(root), "--as-of", AS_OF, "--n-paths", "600", "--force",
            "--tracking-uri", store]
    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 74, err
    assert len(err) == 1 and err[0].startswith("error: ") and "No space left" in err[0]
    assert _snapshot(root) == before
    assert read_manifest(first.path)["key_sha256"] == first.key_sha256
    assert not list(root.glob(".staging-*"))

    filler.unlink()
    assert main(args) == 0
    assert "published:" in capsys.readouterr().out
    assert read_manifest(first.path)["key"]["n_paths"] == 600
    kept = list((root / "2017").glob(f"{AS_OF}.superseded-*"))
    assert len(kept) == 1 and read_manifest(kept[0])["key_sha256"] == first.key_sha256


# -- a file system out of inodes ----------------------------------------------------------
def _use_up_inodes(disk: Path, leave: int = 0) -> list[Path]:
    """Create empty files until no inode is left, then delete ``leave`` of them.

    Returns the files left in place.
    """
    made = []
    while True:
        path = disk / f"inode-{len(made)}"
        try:
            path.touch()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
            break
        made.append(path)
    for path in made[len(made) - leave:] if leave else []:
        path.unlink()
    return made[:len(made) - leave]


@pytest.mark.slow
@pytest.mark.parametrize("next_publication", ["--force, same month", "the next month"])
def test_no_inode_left_exits_74_and_keeps_the_previous_publication(
        store, few_inodes, tmp_path, monkeypatch, capsys, next_publication):
    monkeypatch.chdir(tmp_path)
    root = few_inodes / "root"
    publish(PublishRequest(out=root, as_of=AS_OF, n_paths=N_PATHS, tracking_uri=store))
    before = _snapshot(root)
    fillers = _use_up_inodes(few_inodes)
    as_of, extra = (AS_OF, ["--force"]) if next_publication.startswith("--force") else (
        "2017-07", [])
    args = ["publish", "--out", str(root), "--as-of", as_of, "--n-paths", "600",
            "--tracking-uri", store, *extra]

    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 74, err
    assert len(err) == 1 and err[0].startswith("error: ") and "No space left" in err[0]
    assert _snapshot(root) == before
    assert not list(root.glob(".staging-*"))

    for path in fillers:
        path.unlink()
    assert main(args) == 0
    assert read_manifest(root / "2017" / as_of)["key"]["n_paths"] == 600


@pytest.mark.slow
def test_no_inode_for_the_latest_link_exits_74_with_the_publication_in_place(
        store, few_inodes, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    root = few_inodes / "root"
    first = publish(PublishRequest(out=root, as_of=AS_OF, n_paths=N_PATHS, tracking_uri=store))
    # Exactly the inodes of a staged publication (its folder and files) are left, so
    # writing and placing it succeed and the new ``latest`` link is the first to fail.
    fillers = _use_up_inodes(few_inodes, leave=1 + len(FILES))
    args = ["publish", "--out", str(root), "--as-of", "2017-07", "--n-paths", str(N_PATHS),
            "--tracking-uri", store]

    code = main(args)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 74, err
    assert len(err) == 1 and "latest" in err[0] and "in place at" in err[0], err
    placed = root / "2017" / "2017-07"
    manifest = read_manifest(placed)
    assert manifest is not None and sorted(manifest["files"]) == sorted(
        f for f in FILES if f != "manifest.json")
    assert os.readlink(root / "latest") == os.path.relpath(first.path, root)

    for path in fillers:
        path.unlink()
    assert main(args) == 0
    assert "unchanged" in capsys.readouterr().out
    assert os.readlink(root / "latest") == os.path.relpath(placed, root)


# -- the model or the server unavailable, a previous publication in place -------------------
def _corrupted_copy(store: str, dst: Path) -> str:
    """A downloaded copy of version 1 whose spec.json is cut short."""
    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(store):
        local = Path(mlflow.artifacts.download_artifacts("models:/orecast/1",
                                                         dst_path=str(dst)))
    spec = next(local.rglob("spec.json"))
    spec.write_bytes(spec.read_bytes()[:40])
    return str(local)


@pytest.mark.parametrize("fault", ["missing version", "corrupted artifact",
                                   "unreachable server"])
def test_model_faults_exit_3_and_keep_the_previous_publication(store, tmp_path, monkeypatch,
                                                               capsys, fault):
    import training.tracking as tracking
    from tests.training.test_server import _free_port

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tracking, "PROBE_DELAY_S", 0.01)
    root = tmp_path / "root"
    publish(PublishRequest(out=root, as_of=AS_OF, n_paths=N_PATHS, tracking_uri=store))
    before = _snapshot(root)
    model, uri = "models:/orecast/1", store
    if fault == "missing version":
        model = "models:/orecast/99"
    elif fault == "corrupted artifact":
        model = _corrupted_copy(store, tmp_path / "copy")
    else:
        uri = f"http://127.0.0.1:{_free_port()}"
    code = main(["publish", "--out", str(root), "--as-of", AS_OF, "--n-paths", "600",
                 "--force", "--model", model, "--tracking-uri", uri])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == (2 if fault == "missing version" else 3), err
    assert len(err) == 1 and err[0].startswith("error: ")
    assert _snapshot(root) == before
