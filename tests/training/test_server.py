"""Against real servers on 127.0.0.1: an MLflow tracking server and ``mlflow models serve``.

The tests start both as subprocesses and stop them. Training goes over HTTP, the champion
is loaded back and served, and a stopped server makes training fail fast (exit 3) without
registering anything.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.core.errors import TrackingUnavailableError
from models.data.digest import flat_table
from models.simulator.plant import simulate_plant
from training.serving import forecast_frame
from training.tracking import tracking_uri
from training.train import TrainConfig, train

pytestmark = [pytest.mark.server, pytest.mark.slow]

PARAMS = {"as_of": "2016-07", "n_paths": 300, "seed": 5, "guidance_low": 80000.0,
          "guidance_high": 88000.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for(url: str, proc: subprocess.Popen, timeout_s: float = 180.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not answer within {timeout_s} s")


def server_env() -> dict[str, str]:
    """The environment of the servers the tests start: this process's, with MLflow's job
    runner (a scheduler and eight huey consumer processes, for MLflow's own GenAI jobs, which
    orecast does not use) off. The tracking server is the same; it answers ``/health`` in
    about half the time (11 s against 21 s, 6 s of CPU against 14 s, measured on the 2-core
    machine while it was shared)."""
    return {**os.environ, "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("server")
    port = _free_port()
    db = f"sqlite:///{root / 'mlflow.db'}"
    log = open(root / "server.log", "w")  # closed in teardown
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", db, "--artifacts-destination", str(root / "artifacts"),
         "--workers", "1"],
        cwd=root, env=server_env(), stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    uri = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{uri}/health", proc)
        yield {"uri": uri, "db": db, "proc": proc, "root": root}
    finally:
        _stop(proc)
        log.close()


@pytest.fixture(scope="module")
def plant() -> pd.DataFrame:
    return simulate_plant(36, seed=21, start="2014-01")


@pytest.fixture(scope="module")
def job(server, plant):
    return train(plant, models=["seasonal_naive", "drift"], years=[2016], tracking=server["uri"],
                 config=TrainConfig(experiment="srv", register_as="srv", n_paths=200, seed=1,
                                    figures=False))


def test_train_over_http_registers_a_champion(job, server) -> None:
    from mlflow import MlflowClient

    assert job.tracking_uri == server["uri"]
    assert job.alias == "champion" and job.version == "1"
    client = MlflowClient(tracking_uri=server["uri"], registry_uri=server["uri"])
    mv = client.get_model_version_by_alias("srv", "champion")
    assert mv.tags["data_sha256"] == job.data_sha256
    run = client.get_run(job.parent_run_id)
    assert run.data.params["selection_metric"] == "annual_crps"


def test_champion_loaded_over_http_predicts_the_in_process_numbers(job, server, plant) -> None:
    import mlflow

    x = flat_table(plant)
    expected = forecast_frame(job.spec, x, PARAMS)
    with tracking_uri(server["uri"]):
        got = mlflow.pyfunc.load_model("models:/srv@champion").predict(x, params=PARAMS)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), expected, check_dtype=False)


def test_models_serve_answers_invocations_with_the_same_numbers(job, server, plant) -> None:
    port = _free_port()
    root: Path = server["root"]
    env = {**os.environ, "MLFLOW_TRACKING_URI": server["uri"],
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    log = open(root / "serve.log", "w")  # closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlflow", "models", "serve", "-m", "models:/srv@champion",
         "--env-manager", "local", "-h", "127.0.0.1", "-p", str(port)],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for(f"http://127.0.0.1:{port}/ping", proc)
        x = flat_table(plant)
        body = json.dumps({"dataframe_split": x.to_dict(orient="split", index=False),
                           "params": PARAMS}).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=120) as resp:
            answer = json.loads(resp.read())
    finally:
        _stop(proc)
        log.close()
    served = pd.DataFrame(answer["predictions"])
    expected = forecast_frame(job.spec, x, PARAMS)
    assert list(served["section"]) == list(expected["section"])
    assert list(served["period"]) == list(expected["period"])
    for col in ("mean", "p05", "p10", "p50", "p90", "p95", "prob_within", "ytd_oz"):
        np.testing.assert_array_equal(served[col].to_numpy(dtype=float),
                                      expected[col].to_numpy(dtype=float))


def test_stopped_server_fails_fast_and_registers_nothing(job, server, plant, capsys) -> None:
    from mlflow import MlflowClient

    from forecast.cli import main

    _stop(server["proc"])
    with pytest.raises(TrackingUnavailableError, match=server["uri"]):
        train(plant, models=["drift"], years=[2016], tracking=server["uri"],
              config=TrainConfig(register_as="srv", n_paths=50, figures=False))
    assert main(["train", "--tracking-uri", server["uri"], "--models", "drift",
                 "--register", "srv", "--n-paths", "50"]) == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and server["uri"] in err[0]
    # The store behind the stopped server still holds only the first version.
    versions = MlflowClient(tracking_uri=server["db"], registry_uri=server["db"]) \
        .search_model_versions("name='srv'")
    assert [str(v.version) for v in versions] == ["1"]
