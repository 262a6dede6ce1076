"""What the MLflow UI shows of orecast's runs and models: inputs and an example on the
model page, descriptions, run names, and experiments that open on their runs table."""

from __future__ import annotations

import json

import pytest

from tests.forecast.test_publish import registered_store
from training.tracking import EXPERIMENT_KIND, ensure_experiment, tracking_uri


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


def test_a_new_experiment_is_a_model_experiment_with_artifacts_beside_its_store(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with tracking_uri(uri):
        exp = mlflow.MlflowClient().get_experiment(ensure_experiment("plants"))
    assert exp.tags["mlflow.experimentKind"] == EXPERIMENT_KIND
    assert exp.artifact_location == (tmp_path / "mlartifacts" / "plants").as_uri()


def test_the_registered_model_shows_its_inputs_example_and_descriptions(store):
    import mlflow
    from mlflow.models import Model

    with tracking_uri(store):
        client = mlflow.MlflowClient()
        registered = client.get_registered_model("orecast")
        mv = client.get_model_version("orecast", "1")
        info = Model.load("models:/orecast/1")
        example = info.load_input_example(mlflow.artifacts.download_artifacts(
            "models:/orecast/1"))
    assert "gold ore processor" in registered.description
    # the served mixture of the one model the store was trained with
    assert mv.description.startswith("ensemble@") and "on dynacor" in mv.description
    assert mv.description.endswith("Registered as champion.")
    inputs = {c["name"]: c["type"] for c in json.loads(info.signature.inputs.to_json())}
    assert inputs["month"] == "string" and inputs["gold_oz"] == "double"
    assert {"ore_processed_t", "capacity_tpd"} <= set(inputs)
    assert list(example.columns[:2]) == ["month", "gold_oz"] and len(example) > 12


def test_the_training_run_has_a_name_and_a_description(store):
    import mlflow

    with tracking_uri(store):
        runs = mlflow.search_runs(experiment_names=["orecast"],
                                  filter_string="tags.`orecast.role` = 'training'")
    row = runs.iloc[0]
    assert row["tags.mlflow.runName"] == "train dynacor 2011-2017"
    assert row["tags.mlflow.note.content"].startswith("Backtest of 1 models on dynacor")
