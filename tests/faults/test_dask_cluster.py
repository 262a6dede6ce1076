"""``orecast bulk --scheduler`` on a real dask cluster started from its own command lines
(``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1): one worker is killed
(its nanny with it) once the first series are finished, and the job still completes with
the bytes of a serial run, the lost tasks recomputed on the surviving worker. Once with one
input file and one output file, once with a folder of Parquet files whose series are split
across files (repartitioned by the workers) written as a folder of parts."""

from __future__ import annotations

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
from tests.training.test_server import _free_port

pytestmark = [pytest.mark.slow, pytest.mark.server]

N_SERIES = 40
# auto without the pooled model: slow enough per chunk (2 series) that the kill lands
# while tasks are still running, fast enough for CI
ARGS = ("--horizon", "12", "--model", "auto", "--no-pooled", "--n-paths", "200",
        "--chunk-size", "2")
STARTED = re.compile(rf"\|\s*([1-9]\d*)/{N_SERIES}\b")
DASK = str(Path(sys.executable).parent / "dask")


@pytest.fixture(scope="module")
def series_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_series_csv(tmp_path_factory.mktemp("cluster") / "series.csv", N_SERIES, 60,
                            seed=5)


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture
def cluster(tmp_path: Path):
    """(scheduler address, [worker processes]) of a scheduler and two one-thread workers."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _spawn([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                        "--no-dashboard"], tmp_path / "scheduler.log")
    workers = [_spawn([DASK, "worker", address, "--nthreads", "1", "--nworkers", "1",
                       "--no-dashboard", "--name", f"w{i}"], tmp_path / f"worker{i}.log")
               for i in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, workers
    finally:
        for proc in [*workers, scheduler]:
            _stop(proc)


def test_a_worker_killed_mid_run_the_job_completes_with_the_serial_bytes(series_csv, tmp_path,
                                                                         cluster):
    address, workers = cluster
    serial = tmp_path / "serial.csv"
    assert main(["bulk", "--input", str(series_csv), "--output", str(serial), *ARGS,
                 "--no-progress"]) == 0

    out = tmp_path / "cluster.csv"
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(series_csv), "--output", str(out), *ARGS, "--scheduler", address,
           "--progress"]
    job = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE,
                           env={**os.environ, "ORECAST_LOG_LEVEL": "WARNING"})
    seen, tail = threading.Event(), []

    def read() -> None:
        text = ""
        while chunk := job.stderr.read1(4096):
            text = (text + chunk.decode(errors="replace"))[-2000:]
            tail[:] = [text]
            match = STARTED.search(text)
            if match and int(match.group(1)) < N_SERIES:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 300
    while not seen.is_set() and job.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert job.poll() is None, "the job ended before a worker could be killed: " + "".join(tail)
    _stop(workers[0], signal.SIGKILL)  # the worker and its nanny: no restart
    assert job.wait(timeout=600) == 0, "".join(tail)
    reader.join(timeout=30)
    assert out.read_bytes() == serial.read_bytes()


def test_partitioned_input_and_output_with_a_worker_killed_match_the_serial_run(
        series_csv, tmp_path, cluster):
    import json

    import pandas as pd

    address, workers = cluster
    data = tmp_path / "dataset"
    data.mkdir()
    frame = pd.read_csv(series_csv)
    # Rows dealt to 8 files in turn: every series spans several files.
    for k in range(8):
        frame.iloc[k::8].to_parquet(data / f"rows-{k}.parquet", index=False)
    args = ("--horizon", "12", "--model", "auto", "--no-pooled", "--n-paths", "200")
    assert main(["bulk", "--input", str(data), "--output", f"{tmp_path / 'serial'}/", *args,
                 "--no-progress"]) == 0

    out = tmp_path / "cluster"
    cmd = [sys.executable, "-c", "from forecast.cli import run; run()", "bulk", "--input",
           str(data), "--output", f"{out}/", *args, "--scheduler", address, "--no-progress"]
    err = tmp_path / "job.log"
    job = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL,
                           stderr=open(err, "w"))
    deadline = time.monotonic() + 300
    while job.poll() is None and time.monotonic() < deadline:
        if list(tmp_path.glob(".cluster.parts-*.done/*.json")):
            break
        time.sleep(0.01)
    assert job.poll() is None, "the job ended before a worker could be killed: " + \
        err.read_text()
    _stop(workers[0], signal.SIGKILL)  # the worker and its nanny: no restart
    assert job.wait(timeout=600) == 0, err.read_text()
    assert "repartitioned by a hash of series_id" in err.read_text()

    def folder(root: Path) -> tuple[dict, dict]:
        manifest = json.loads((root / "manifest.json").read_text())
        manifest.pop("run")
        manifest["input"].pop("path")
        return ({str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.parquet")},
                manifest)

    assert folder(out) == folder(tmp_path / "serial")
    assert len(pd.read_parquet(out / "forecasts")) == N_SERIES * 12
    assert not list(tmp_path.glob(".orecast-shuffle-*"))
