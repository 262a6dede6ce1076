"""Tracking helpers: URI resolution, bounded connectivity check, provenance, dataset logging."""

from __future__ import annotations

import http.server
import os
import socket
import threading
from pathlib import Path

import pytest

from forecast.cli import exit_code
from models.core.errors import TrackingUnavailableError
from models.data.digest import data_sha256
from models.simulator.plant import simulate_plant
from training import tracking


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_uri_argument_beats_environment(monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///env.db")
    assert tracking.resolve_tracking_uri("http://127.0.0.1:1") == "http://127.0.0.1:1"
    assert tracking.resolve_tracking_uri(None) == "sqlite:///env.db"


def test_default_uri_is_mlflows_sqlite_in_the_working_directory(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    assert tracking.resolve_tracking_uri(None).endswith("mlflow.db")


def test_retry_settings_are_bounded_but_user_values_kept(monkeypatch) -> None:
    for key in tracking.HTTP_RETRY_ENV:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    got = tracking.bound_http_retries()
    assert got["MLFLOW_HTTP_REQUEST_TIMEOUT"] == "5"
    assert int(got["MLFLOW_HTTP_REQUEST_MAX_RETRIES"]) <= 3
    assert os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] == "1"


def test_unreachable_server_raises_exit_3_naming_the_uri() -> None:
    uri = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(TrackingUnavailableError) as err:
        tracking.check_tracking(uri, attempts=2, delay_s=0.05, timeout_s=0.5)
    assert exit_code(err.value) == 3
    assert uri in str(err.value) and "2 attempts" in str(err.value)
    assert "\n" not in str(err.value)


def test_live_health_endpoint_passes() -> None:
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()
            self.wfile.write(b"OK")

        def log_message(self, *args) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        tracking.check_tracking(f"http://127.0.0.1:{server.server_port}/", attempts=1)
    finally:
        server.shutdown()
        server.server_close()


def test_sqlite_store_in_a_missing_directory_fails(tmp_path: Path) -> None:
    with pytest.raises(TrackingUnavailableError, match="does not exist"):
        tracking.check_tracking(f"sqlite:///{tmp_path / 'nope' / 'mlflow.db'}")
    tracking.check_tracking(f"sqlite:///{tmp_path / 'mlflow.db'}")


def test_tracking_uri_context_restores_the_previous(tmp_path: Path) -> None:
    import mlflow

    before = mlflow.get_tracking_uri()
    env_before = os.environ.get("MLFLOW_TRACKING_URI")
    with tracking.tracking_uri(f"sqlite:///{tmp_path / 'x.db'}") as uri:
        assert mlflow.get_tracking_uri() == uri
        assert mlflow.get_registry_uri() == uri
    assert mlflow.get_tracking_uri() == before
    assert os.environ.get("MLFLOW_TRACKING_URI") == env_before


def test_tracking_uri_context_leaves_an_unset_uri_unset(tmp_path: Path, monkeypatch) -> None:
    import mlflow

    # Unset before the block: after it, MLflow follows the environment again.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlflow.set_tracking_uri(None)
    with tracking.tracking_uri(f"sqlite:///{tmp_path / 'x.db'}"):
        pass
    later = f"sqlite:///{tmp_path / 'later.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", later)
    assert mlflow.get_tracking_uri() == later


def test_git_commit_is_none_outside_a_checkout(tmp_path: Path) -> None:
    assert tracking.git_commit(tmp_path) is None


@pytest.mark.slow
def test_dataset_input_has_name_digest_and_source(tmp_path: Path) -> None:
    import mlflow

    history = simulate_plant(24, seed=1)
    with tracking.tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}"):
        exp = mlflow.MlflowClient().create_experiment("d", artifact_location=str(tmp_path / "a"))
        with mlflow.start_run(experiment_id=exp) as run:
            tracking.log_history_dataset(history, name="plant", digest=data_sha256(history),
                                         source="/data/plant.csv")
        got = mlflow.get_run(run.info.run_id)
    (ds,) = got.inputs.dataset_inputs
    assert ds.dataset.name == "plant"
    assert ds.dataset.digest == data_sha256(history)[:32]
    assert "/data/plant.csv" in ds.dataset.source
    assert got.data.tags["data.sha256"] == data_sha256(history)
    assert [t.value for t in ds.tags if t.key == "mlflow.data.context"] == ["training"]
