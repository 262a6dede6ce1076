"""Faults of the tracking store during ``orecast train``, injected for real.

A real ``mlflow server`` (sqlite backend and artifact folder in a temporary directory) holds a
champion registered before any fault. Each job then runs ``orecast train`` as a separate
process against a fault: no server at all, the server killed with SIGKILL once the job's
first child run exists, a server that answers ``/health`` but nothing else within the
client's timeout, a server that stops answering in the middle of registration (a proxy in
front of it goes away at the first version tag), a server slow to create the version, and
an artifact store that cannot be written (its folder replaced by a regular file; the tests
run as root, which ignores permission bits). Expected for every one of them: the process
returns after bounded retries, exit 3 with one line naming the URI, no version left
half-registered and the ``champion`` alias where it was.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import itertools
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.simulator.plant import simulate_plant
from tests.training.test_server import _free_port, _stop, _wait_for, server_env

NAME = "faults"
#: client timeout (s) of MLflow HTTP requests in the faulty jobs, and the proxy's delay
CLIENT_TIMEOUT_S = 2
SLOW_DELAY_S = 8.0
#: bound on one job under a fault (retries of every request included); never a timing claim
JOB_LIMIT_S = 600
TRAIN_ARGS = ("--models", "seasonal_naive,drift", "--years", "2016", "--n-paths", "200",
              "--no-figures", "--register", NAME)


# -- a real server that can be killed and restarted on the same store ----------------------
class Server:
    """``mlflow server`` on 127.0.0.1 over ``root/mlflow.db`` and ``root/artifacts``."""

    def __init__(self, root: Path):
        self.root = root
        self.db = f"sqlite:///{root / 'mlflow.db'}"
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._log = open(self.root / "server.log", "a")  # closed in stop/kill
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port",
             str(self.port), "--backend-store-uri", self.db, "--artifacts-destination",
             str(self.root / "artifacts"), "--workers", "1"],
            cwd=self.root, env=server_env(), stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        _wait_for(f"{self.uri}/health", self.proc)

    def kill(self) -> None:
        """SIGKILL the server and its workers: no shutdown code runs."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)
        self._log.close()

    def stop(self) -> None:
        _stop(self.proc)
        self._log.close()


@pytest.fixture(scope="module")
def plant_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("plant") / "plant.csv"
    frame = simulate_plant(48, seed=21, start="2013-01")[["gold_oz", "ore_processed_t"]]
    frame.rename_axis("month").to_csv(path)
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory, plant_csv) -> Iterator[Server]:
    """A running server whose store holds ``faults`` version 1 as champion."""
    from training.train import TrainConfig, train

    srv = Server(tmp_path_factory.mktemp("tracking"))
    srv.start()
    try:
        job = train(plant_csv, models=["seasonal_naive"], years=[2016], tracking=srv.uri,
                    config=TrainConfig(experiment="faults", register_as=NAME, n_paths=200, seed=1,
                                       figures=False))
        assert (job.version, job.alias) == ("1", "champion")
        yield srv
    finally:
        if srv.proc is not None and srv.proc.poll() is None:
            srv.stop()


# -- a proxy that is slow or goes away on cue ---------------------------------------------
class Proxy:
    """An HTTP proxy on 127.0.0.1 in front of ``upstream`` (a thread of the test process).

    ``slow(method, path)`` requests are held ``delay_s`` seconds before being forwarded (the
    server still receives them, late, as from a slow server). From the first request for
    which ``cut(method, path)`` is true, the proxy answers nothing and closes its socket,
    as a server that died.
    """

    def __init__(self, upstream: str, *, delay_s: float = 0.0,
                 slow: Callable[[str, str], bool] = lambda m, p: False,
                 cut: Callable[[str, str], bool] = lambda m, p: False):
        host, port = upstream.removeprefix("http://").split(":")
        self.seen: list[tuple[str, str]] = []
        self.dead = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen.append((self.command, self.path))
                if proxy.dead.is_set() or cut(self.command, self.path):
                    proxy.die()
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                with proxy._lock:
                    proxy._busy += 1
                try:
                    if slow(self.command, self.path):
                        time.sleep(delay_s)
                    conn = http.client.HTTPConnection(host, int(port), timeout=300)
                    headers = {k: v for k, v in self.headers.items()
                               if k.lower() not in ("connection", "content-length")}
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    conn.close()
                finally:
                    with proxy._lock:
                        proxy._busy -= 1
                self.send_response(resp.status, resp.reason)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length",
                                         "date", "server"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = forward

        class Quiet(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: object, client_address: object) -> None:
                pass  # the client gave up on a slow answer: expected here

        self.server = Quiet(("127.0.0.1", 0), Handler)
        self.uri = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def die(self) -> None:
        if not self.dead.is_set():
            self.dead.set()
            threading.Thread(target=self.close, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def drain(self, timeout_s: float = 120.0) -> None:
        """Wait until every held request has reached the server."""
        deadline = time.monotonic() + timeout_s
        while self._busy and time.monotonic() < deadline:
            time.sleep(0.1)


# -- running a job and reading the registry ------------------------------------------------
@dataclass
class Job:
    returncode: int
    stderr: list[str]
    uri: str


def _env(**more: str) -> dict[str, str]:
    env = {**os.environ, "ORECAST_LOG_LEVEL": "WARNING", **more}
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


#: a seed per job: a job identical to the champion (same procedure, figures and seed)
#: registers nothing ("unchanged"), so each faulted job is a new model that must reach
#: the registration the faults are aimed at
_SEEDS = itertools.count(100)


def _train_cmd(uri: str, data: Path, experiment: str) -> list[str]:
    # ``python -m forecast.cli`` would run a second copy of the CLI module without commands.
    return [sys.executable, "-c", "from forecast.cli import run; run()", "train",
            "--tracking-uri", uri, "--data", str(data), "--experiment", experiment,
            *TRAIN_ARGS, "--seed", str(next(_SEEDS))]


def _train(uri: str, data: Path, experiment: str, cwd: Path, **env: str) -> Job:
    proc = subprocess.run(_train_cmd(uri, data, experiment), cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=JOB_LIMIT_S)
    return Job(proc.returncode, proc.stderr.strip().splitlines(), uri)


@dataclass(frozen=True)
class Registry:
    """Versions of ``NAME`` ({version: tags}) and its aliases ({alias: version})."""

    versions: dict[str, dict[str, str]]
    aliases: dict[str, str]


def _registry(db: str) -> Registry:
    """Read the registry straight from the store (no server needed)."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=db, registry_uri=db)
    versions = {str(v.version): dict(v.tags) for v in
                client.search_model_versions(f"name='{NAME}'")}
    return Registry(versions, {k: str(v) for k, v in
                               client.get_registered_model(NAME).aliases.items()})


def _assert_nothing_moved(before: Registry, after: Registry) -> None:
    assert after.aliases["champion"] == before.aliases["champion"]
    new = set(after.versions) - set(before.versions)
    assert not [a for a, v in after.aliases.items() if v in new], after.aliases


def _assert_exit_3_naming(job: Job) -> None:
    """Exit 3 and one ``error:`` line naming the URI, the last on stderr; no traceback.

    Progress bars and retry warnings may come before it; they are not errors.
    """
    assert job.returncode == 3, "\n".join(job.stderr[-15:])
    errors = [line for line in job.stderr if line.startswith("error: ")]
    assert len(errors) == 1 and job.stderr[-1] == errors[0], job.stderr[-15:]
    assert job.uri in errors[0]
    assert not any("Traceback" in line for line in job.stderr)


# -- no server at all ---------------------------------------------------------------------
@pytest.mark.slow
def test_no_server_before_training_exits_3_with_one_line_naming_the_uri(plant_csv, tmp_path):
    uri = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    job = _train(uri, plant_csv, "faults", tmp_path)
    _assert_exit_3_naming(job)
    assert len(job.stderr) == 1 and "unreachable" in job.stderr[0]


# -- the server killed while the job runs ---------------------------------------------------
def _runs_in(db: str, experiment: str) -> int:
    path = db.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True,
                                            timeout=10)) as con:
        row = con.execute("SELECT count(*) FROM runs r JOIN experiments e ON "
                          "r.experiment_id = e.experiment_id WHERE e.name = ?",
                          (experiment,)).fetchone()
    return int(row[0])


@pytest.fixture(scope="module")
def killed(server, plant_csv, tmp_path_factory) -> tuple[Job, Registry, Registry, int]:
    """SIGKILL the server once the job's parent run and first child run exist, then restart.

    Returns the job, the registry before and after, and the runs the job had made.
    """
    before = _registry(server.db)
    experiment = "faults-kill"
    proc = subprocess.Popen(_train_cmd(server.uri, plant_csv, experiment),
                            cwd=tmp_path_factory.mktemp("kill"), env=_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + JOB_LIMIT_S
    runs = 0
    while proc.poll() is None and time.monotonic() < deadline:
        with contextlib.suppress(sqlite3.Error):
            runs = _runs_in(server.db, experiment)
        if runs >= 2:  # the parent and a child: the job is logging
            break
        time.sleep(0.2)
    assert proc.poll() is None, f"the job ended before the kill: {proc.communicate()}"
    server.kill()
    _, err = proc.communicate(timeout=JOB_LIMIT_S)
    job = Job(proc.returncode, err.strip().splitlines(), server.uri)
    server.start()
    return job, before, _registry(server.db), runs


@pytest.mark.slow
@pytest.mark.server
def test_server_killed_during_training_exits_3(killed):
    job, _, _, runs = killed
    assert runs >= 2
    _assert_exit_3_naming(job)


@pytest.mark.slow
@pytest.mark.server
def test_server_killed_during_training_registers_nothing_and_moves_no_alias(killed):
    _, before, after, _ = killed
    assert after.versions == before.versions
    assert after.aliases == before.aliases


# -- the server gone in the middle of registration ----------------------------------------
@pytest.fixture(scope="module")
def cut_at_registration(server, plant_csv, tmp_path_factory) -> tuple[Job, Registry, Proxy]:
    """The server stops answering when the new version is to get its alias: the version
    exists (created with its tags, marked pending, in one request), without the alias."""
    before = _registry(server.db)
    proxy = Proxy(server.uri, cut=lambda m, p: m == "POST" and "registered-models/alias" in p)
    job = _train(proxy.uri, plant_csv, "faults-cut", tmp_path_factory.mktemp("cut"))
    return job, before, proxy


@pytest.mark.slow
@pytest.mark.server
def test_server_gone_during_registration_exits_3_and_moves_no_alias(cut_at_registration,
                                                                     server):
    job, before, proxy = cut_at_registration
    assert ("POST", "/api/2.0/mlflow/model-versions/create") in proxy.seen
    _assert_exit_3_naming(job)
    _assert_nothing_moved(before, _registry(server.db))


# -- a slow server ------------------------------------------------------------------------
def _train_through_slow_proxy(server, plant_csv, experiment: str, folder,
                              slow) -> tuple[Job, Registry, Proxy]:
    """Train through a proxy holding the requests ``slow(method, path)`` selects past the
    client's timeout; the registry before, the finished job and the drained proxy."""
    before = _registry(server.db)
    proxy = Proxy(server.uri, delay_s=SLOW_DELAY_S, slow=slow)
    job = _train(proxy.uri, plant_csv, experiment, folder,
                 MLFLOW_HTTP_REQUEST_TIMEOUT=str(CLIENT_TIMEOUT_S))
    proxy.drain()
    proxy.close()
    return job, before, proxy


@pytest.fixture(scope="module")
def slow_api(server, plant_csv, tmp_path_factory) -> tuple[Job, Registry, Proxy]:
    """``/health`` answers at once; every API request is held past the client's timeout."""
    return _train_through_slow_proxy(server, plant_csv, "faults-slow",
                                     tmp_path_factory.mktemp("slow"),
                                     lambda m, p: "/api/" in p)


@pytest.mark.slow
@pytest.mark.server
def test_slow_server_retries_a_bounded_number_of_times_and_registers_nothing(slow_api, server):
    from training.tracking import HTTP_RETRY_ENV

    job, before, proxy = slow_api
    attempts = 1 + int(HTTP_RETRY_ENV["MLFLOW_HTTP_REQUEST_MAX_RETRIES"])
    api = Counter(p for _, p in proxy.seen if "/api/" in p)
    assert api and max(api.values()) <= attempts, api
    assert job.returncode != 0
    after = _registry(server.db)
    assert after.versions == before.versions and after.aliases == before.aliases


@pytest.mark.slow
@pytest.mark.server
def test_slow_server_exits_3(slow_api):
    _assert_exit_3_naming(slow_api[0])


@pytest.mark.slow
@pytest.mark.server
def test_slow_server_everywhere_exits_3(server, plant_csv, tmp_path):
    job, before, proxy = _train_through_slow_proxy(server, plant_csv, "faults-slow-all",
                                                   tmp_path, lambda m, p: True)
    _assert_exit_3_naming(job)
    assert all(p == "/health" for _, p in proxy.seen)
    assert _registry(server.db) == before


@pytest.fixture(scope="module")
def slow_registration(server, plant_csv, tmp_path_factory) -> tuple[Job, Registry, Proxy]:
    """Only ``model-versions/create`` is slow: each retry reaches the server, late."""
    return _train_through_slow_proxy(server, plant_csv, "faults-slow-reg",
                                     tmp_path_factory.mktemp("slowreg"),
                                     lambda m, p: "model-versions/create" in p)


@pytest.mark.slow
@pytest.mark.server
def test_slow_registration_moves_no_alias(slow_registration, server):
    job, before, proxy = slow_registration
    creates = [p for _, p in proxy.seen if "model-versions/create" in p]
    assert 1 <= len(creates) <= 3
    assert job.returncode != 0
    _assert_nothing_moved(before, _registry(server.db))


@pytest.mark.slow
@pytest.mark.server
def test_slow_registration_exits_3(slow_registration):
    _assert_exit_3_naming(slow_registration[0])


@pytest.mark.slow
@pytest.mark.server
def test_registration_faults_leave_no_half_registered_version(cut_at_registration,
                                                             slow_registration, server,
                                                             plant_csv, tmp_path):
    from mlflow import MlflowClient

    # A healthy job after the faults: by its end, every registered version must come from a
    # training run that finished (a failed job's run is FAILED, or RUNNING if cut off).
    job = _train(server.uri, plant_csv, "faults-after", tmp_path)
    assert job.returncode == 0, job.stderr[-15:]
    client = MlflowClient(tracking_uri=server.db, registry_uri=server.db)
    status = {str(mv.version): client.get_run(mv.run_id).info.status
              for mv in client.search_model_versions(f"name='{NAME}'")}
    assert {v: s for v, s in status.items() if s != "FINISHED"} == {}, status


# -- the artifact store cannot be written -------------------------------------------------
@pytest.fixture(scope="module")
def artifacts_unwritable(server, plant_csv, tmp_path_factory) -> tuple[Job, Registry]:
    """The server's artifact folder replaced by a regular file for the length of one job."""
    before = _registry(server.db)
    folder = server.root / "artifacts"
    kept = server.root / "artifacts.kept"
    folder.rename(kept)
    folder.write_text("not a folder\n")
    try:
        job = _train(server.uri, plant_csv, "faults-artifacts",
                     tmp_path_factory.mktemp("artifacts"))
    finally:
        folder.unlink()
        kept.rename(folder)
    return job, before


@pytest.mark.slow
@pytest.mark.server
def test_unwritable_artifact_store_registers_nothing(artifacts_unwritable, server):
    job, before = artifacts_unwritable
    assert job.returncode != 0
    after = _registry(server.db)
    assert after.versions == before.versions and after.aliases == before.aliases


@pytest.mark.slow
@pytest.mark.server
def test_unwritable_artifact_store_exits_3(artifacts_unwritable):
    _assert_exit_3_naming(artifacts_unwritable[0])


@pytest.fixture(scope="module")
def local_artifacts_unwritable(plant_csv, tmp_path_factory) -> tuple[Job, Path]:
    """A sqlite store whose experiment keeps its artifacts under a regular file."""
    import mlflow

    from training.tracking import tracking_uri

    root = tmp_path_factory.mktemp("local-store")
    (root / "blocker").write_text("not a folder\n")
    db = f"sqlite:///{root / 'mlflow.db'}"
    with tracking_uri(db):
        mlflow.create_experiment("faults", artifact_location=(root / "blocker" / "a").as_uri())
    proc = subprocess.run(_train_cmd(db, plant_csv, "faults"), cwd=root, env=_env(),
                          capture_output=True, text=True, timeout=JOB_LIMIT_S)
    return Job(proc.returncode, proc.stderr.strip().splitlines(), db), root


@pytest.mark.slow
def test_unwritable_local_artifact_store_registers_nothing(local_artifacts_unwritable):
    from mlflow import MlflowClient

    job, root = local_artifacts_unwritable
    assert job.returncode != 0
    client = MlflowClient(tracking_uri=job.uri, registry_uri=job.uri)
    assert client.search_model_versions(f"name='{NAME}'") == []


@pytest.mark.slow
def test_unwritable_local_artifact_store_exits_3(local_artifacts_unwritable):
    _assert_exit_3_naming(local_artifacts_unwritable[0])
