"""Registry: alias decision, all-or-nothing registration, manual promotion."""

from __future__ import annotations

import math

import pytest

from models.core.errors import UsageError
from models.simulator.plant import simulate_plant
from training.registry import CHALLENGER, CHAMPION, decide_alias, promote, register
from training.spec import ModelSpec
from training.tracking import tracking_uri


def test_no_champion_means_champion() -> None:
    decision = decide_alias("annual_crps", 10.0, None, 12)
    assert decision.alias == CHAMPION
    # Every score quoted names the origins it covers.
    assert decision.reason == "no current champion; annual_crps 10 over the 12 origins of this job"


def test_strictly_better_takes_champion_equal_or_worse_is_challenger() -> None:
    assert decide_alias("annual_crps", 9.0, 10.0, 12).alias == CHAMPION
    assert decide_alias("annual_crps", 10.0, 10.0, 12).alias == CHALLENGER
    assert decide_alias("annual_crps", 11.0, 10.0, 12).alias == CHALLENGER
    assert "over 12 origins" in decide_alias("annual_crps", 11.0, 10.0, 12).reason


def test_champion_that_cannot_forecast_the_origins_is_replaced() -> None:
    d = decide_alias("annual_crps", 11.0, math.nan, 0)
    assert d.alias == CHAMPION and "could not" in d.reason


@pytest.fixture(scope="module")
def logged(tmp_path_factory):
    """A store with one logged pyfunc model (not registered)."""
    import mlflow

    from training.serving import log_forecast_model

    root = tmp_path_factory.mktemp("registry")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    history = simulate_plant(30, seed=2, start="2015-01")
    with tracking_uri(uri):
        exp = mlflow.MlflowClient().create_experiment("r", artifact_location=str(root / "a"))
        with mlflow.start_run(experiment_id=exp):
            info = log_forecast_model(ModelSpec.for_name("drift"), history, root / "w",
                                      example_params={"n_paths": 50})
        yield uri, info


@pytest.mark.slow
def test_failed_aliasing_leaves_no_version(logged) -> None:
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    uri, info = logged
    with tracking_uri(uri):
        # "latest" is reserved by MLflow: setting it fails after the version was created.
        with pytest.raises(MlflowException):
            register(info.model_uri, "half", "latest", {"data_sha256": "abc"})
        versions = MlflowClient().search_model_versions("name='half'")
    assert versions == []


@pytest.mark.slow
def test_register_tags_and_promote_moves_the_alias(logged) -> None:
    from mlflow import MlflowClient

    from forecast.cli import main

    uri, info = logged
    with tracking_uri(uri):
        v1 = register(info.model_uri, "promo", CHAMPION, {"annual_crps": 12.5, "data_sha256": "d"})
        v2 = register(info.model_uri, "promo", CHALLENGER, {"annual_crps": 13.0})
        assert v1.tags["annual_crps"] == "12.5" and v1.tags["data_sha256"] == "d"
        assert CHAMPION in v1.aliases and CHALLENGER in v2.aliases
        promoted = promote("promo", v2.version)
        assert CHAMPION in promoted.aliases and CHALLENGER not in promoted.aliases
        client = MlflowClient()
        assert str(client.get_model_version_by_alias("promo", CHAMPION).version) == "2"
        with pytest.raises(UsageError, match="version 9"):
            promote("promo", 9)
    # the CLI moves it back by hand
    assert main(["promote", str(v1.version), "--name", "promo", "--tracking-uri", uri]) == 0
    with tracking_uri(uri):
        assert str(MlflowClient().get_model_version_by_alias("promo", CHAMPION).version) == "1"


@pytest.mark.slow
def test_next_registration_sweeps_a_version_a_dead_job_left_untagged(logged) -> None:
    import mlflow
    from mlflow import MlflowClient

    uri, info = logged
    with tracking_uri(uri):
        # what a job cut off between "create version" and "tag it" leaves behind (its run,
        # the fixture's, has finished)
        orphan = mlflow.register_model(info.model_uri, "sweep")
        kept = register(info.model_uri, "sweep", CHAMPION, {"annual_crps": 1.0})
        versions = {str(mv.version) for mv in
                    MlflowClient().search_model_versions("name='sweep'")}
    assert str(orphan.version) not in versions
    assert versions == {str(kept.version)}
