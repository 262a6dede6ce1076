"""kill -9 of ``orecast bulk``: never a partial file at the output path; a rerun gives the same bytes.

``orecast bulk`` runs as a separate process (its own session, so its worker processes go
with it) on 400 simulated plants of 120 months, Theta-SES, 200 paths, chunks of 20 series.
It is killed with SIGKILL once its progress bar shows finished series, or the moment its
temporary output file appears (a kill while writing). Then the output path holds nothing
(first run) or the previous complete file, byte for byte, and the same command run again
writes exactly the bytes of an uninterrupted run. On a full disk (a filled tmpfs) the
previous output stays whole.
"""

from __future__ import annotations

import gzip
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from forecast.cli import main
from tests.faults import write_series_csv
from tests.faults.test_publish_faults import _fill, small_disk  # noqa: F401 (fixture)

N_SERIES = 400
ARGS = ("--horizon", "12", "--model", "theta_ses", "--n-paths", "200", "--chunk-size", "20")
#: progress shows at least one finished chunk: "| 20/400"
CSV, GZ = "forecasts.csv", "forecasts.csv.gz"
#: the failure record of the CSV output, named after it
FAILS = CSV + ".failures.csv"
STARTED = re.compile(rf"\|\s*([1-9]\d*)/{N_SERIES}\b")


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_series_csv(tmp_path_factory.mktemp("bulk-input") / "plants.csv", N_SERIES,
                            120, seed=3)


def _bulk(series_csv: Path, output: Path, *more: str) -> int:
    return main(["bulk", "--input", str(series_csv), "--output", str(output), *ARGS,
                 "--no-progress", *more])


def _outputs(folder: Path) -> dict[str, bytes]:
    """Bytes of the output files in ``folder``; gzip files decompressed (see the gzip test)."""
    return {p.name: gzip.decompress(p.read_bytes()) if p.name == GZ else p.read_bytes()
            for p in folder.iterdir() if p.name in (CSV, GZ) or p.name.endswith(".failures.csv")}


def _files(outputs: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in outputs.items() if k != "code"}


def _put(folder: Path, outputs: dict[str, bytes]) -> None:
    for name, data in _files(outputs).items():
        (folder / name).write_bytes(data)


def _run_once(series_csv: Path, folder: Path, name: str, *more: str) -> dict[str, bytes]:
    """Outputs of an uninterrupted run (forecasts and failures.csv, bytes) and its exit code."""
    out = folder / name
    code = _bulk(series_csv, out, *more)
    assert code in (0, 4)
    return {"code": bytes([code]), **_outputs(folder)}


@pytest.fixture(scope="module")
def reference(series_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """An uninterrupted run to ``forecasts.csv``."""
    return _run_once(series_csv, tmp_path_factory.mktemp("bulk-reference"), CSV)


@pytest.fixture(scope="module")
def previous(series_csv: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """A complete earlier run with another seed (what a rerun replaces)."""
    return _run_once(series_csv, tmp_path_factory.mktemp("bulk-previous"), CSV, "--seed", "1")


def _start(series_csv: Path, output: Path, backend: str) -> subprocess.Popen:
    workers = ["--backend", "processes", "--workers", "2"] if backend == "processes" else []
    # ``python -m forecast.cli`` would run a second copy of the CLI module without commands.
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(series_csv), "--output", str(output), *ARGS, *workers, "--progress"]
    env = {**os.environ, "ORECAST_LOG_LEVEL": "WARNING"}
    return subprocess.Popen(cmd, cwd=output.parent, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def _kill_when_started(proc: subprocess.Popen) -> bool:
    """SIGKILL the process group once progress shows finished series; True if it was killed."""
    seen = threading.Event()

    def read() -> None:
        text = ""
        while chunk := proc.stderr.read1(4096):
            text = (text + chunk.decode(errors="replace"))[-400:]
            if STARTED.search(text):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while not seen.is_set() and proc.poll() is None:
        time.sleep(0.01)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=120)
    reader.join(timeout=30)
    return killed


def _kill_when_writing(proc: subprocess.Popen, output: Path) -> bool:
    """SIGKILL the group the moment a temporary output file exists; True if it was killed."""
    threading.Thread(target=lambda: proc.stderr.read(), daemon=True).start()
    prefix = f".{output.name}."
    while proc.poll() is None:
        if any(name.startswith(prefix) for name in os.listdir(output.parent)):
            os.killpg(proc.pid, signal.SIGKILL)
            break
    proc.wait(timeout=120)
    return proc.returncode == -signal.SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize(("backend", "with_previous"), [("serial", False), ("processes", True)])
def test_kill_mid_run_leaves_no_partial_output_and_a_rerun_is_identical(
        series_csv, reference, previous, tmp_path, backend, with_previous):
    out = tmp_path / CSV
    if with_previous:
        _put(tmp_path, previous)
    proc = _start(series_csv, out, backend)
    assert _kill_when_started(proc), "the run ended before it could be killed"
    assert proc.returncode == -signal.SIGKILL
    assert _outputs(tmp_path) == (_files(previous) if with_previous else {})

    assert _run_once(series_csv, tmp_path, CSV) == reference


@pytest.mark.slow
def test_kill_while_writing_leaves_the_previous_file_or_the_new_one(series_csv, reference,
                                                                    previous, tmp_path):
    out = tmp_path / CSV
    _put(tmp_path, previous)
    killed = _kill_when_writing(_start(series_csv, out, "serial"), out)
    got = _outputs(tmp_path)
    # Killed between the temporary file's creation and its rename, the path holds the old
    # forecasts; killed after the rename, the new ones. Whole, either way. (The run may also
    # have finished before the poll saw its temporary file.)
    assert got[CSV] in (previous[CSV], reference[CSV]), f"killed={killed}"
    assert got[FAILS] in (previous[FAILS], reference[FAILS])
    # A kill can leave the hidden temporary file behind, never anything at a visible name.
    left = {p.name for p in tmp_path.iterdir()} - {CSV, FAILS}
    assert all(re.fullmatch(rf"\.({re.escape(CSV)}|{re.escape(FAILS)})\.\w+\.tmp", n)
               for n in left)
    assert _run_once(series_csv, tmp_path, CSV) == reference


@pytest.mark.slow
def test_gzip_output_is_byte_identical_across_runs(series_csv, tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _bulk(series_csv, a / GZ)
    time.sleep(1.1)  # the gzip header's modification time has one-second resolution
    _bulk(series_csv, b / GZ)
    assert gzip.decompress((a / GZ).read_bytes()) == gzip.decompress((b / GZ).read_bytes())
    assert (a / GZ).read_bytes() == (b / GZ).read_bytes()


# -- a full disk under the output ---------------------------------------------------------
def _bulk_on_full_disk(series_csv: Path, disk: Path, previous: dict[str, bytes]
                       ) -> tuple[int | None, BaseException | None]:
    """Previous outputs on a filled tmpfs, then the same command: (exit code, exception)."""
    _put(disk, previous)
    _fill(disk)
    try:
        return _bulk(series_csv, disk / CSV), None
    except Exception as exc:  # noqa: BLE001 - what escapes the CLI is what is checked
        return None, exc


@pytest.mark.slow
def test_full_disk_keeps_the_previous_output_whole(series_csv, previous, request):
    disk = request.getfixturevalue("small_disk")
    _bulk_on_full_disk(series_csv, disk, previous)
    assert _outputs(disk) == _files(previous)
    assert sorted(p.name for p in disk.iterdir()) == sorted([CSV, FAILS, "filler"])


@pytest.mark.slow
def test_full_disk_exits_74(series_csv, previous, request):
    code, exc = _bulk_on_full_disk(series_csv, request.getfixturevalue("small_disk"), previous)
    assert exc is None and code == 74
