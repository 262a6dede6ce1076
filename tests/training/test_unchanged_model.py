"""Training again on the same figures with the same procedure and seed registers nothing new:
the job names the champion's version ("unchanged: version 1 is this model"). Different
figures still register a new version. The store and its artifacts live in a temporary
folder, so the job writes nothing into the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.cli import main

ARGS = ["--models", "naive,drift", "--years", "2017", "--no-figures", "--n-paths", "100",
        "--experiment", "unchanged"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A sqlite store whose experiment keeps its artifacts beside it, the job run from there."""
    import mlflow

    from training.tracking import tracking_uri

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with tracking_uri(uri):
        mlflow.MlflowClient().create_experiment(
            "unchanged", artifact_location=(tmp_path / "artifacts").as_uri())
    monkeypatch.chdir(tmp_path)
    return uri


def _versions(uri: str) -> list[str]:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    return sorted(str(v.version) for v in client.search_model_versions("name='orecast'"))


@pytest.mark.slow
def test_second_identical_job_registers_no_version_and_names_the_champion(store, capsys):
    assert main(["train", "--tracking-uri", store, *ARGS]) == 0
    first = capsys.readouterr().out
    assert "registered: orecast version 1 -> champion" in first
    assert main(["train", "--tracking-uri", store, *ARGS]) == 0
    again = capsys.readouterr().out
    assert "unchanged: version 1 is this model" in again
    assert "registered:" not in again
    assert "model: models:/orecast/1" in again
    assert _versions(store) == ["1"]
    # Another seed is another model: a new version, compared with the champion as before.
    assert main(["train", "--tracking-uri", store, *ARGS, "--seed", "1"]) == 0
    assert "registered: orecast version 2 -> " in capsys.readouterr().out
    assert _versions(store) == ["1", "2"]


def test_same_model_needs_the_same_procedure_figures_and_seed():
    from types import SimpleNamespace

    from training.registry import same_model
    from training.spec import ModelSpec

    spec = ModelSpec.for_name("drift")
    mv = SimpleNamespace(version="3", tags={"data_sha256": "abc", "seed": "0"})
    assert same_model(mv, ModelSpec.for_name("drift"), spec, "abc", 0)
    assert not same_model(mv, ModelSpec.for_name("naive"), spec, "abc", 0)
    assert not same_model(mv, ModelSpec.for_name("drift"), spec, "abd", 0)
    assert not same_model(mv, ModelSpec.for_name("drift"), spec, "abc", 1)
    assert not same_model(None, None, spec, "abc", 0)
    assert not same_model(mv, None, spec, "abc", 0)
