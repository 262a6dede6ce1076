"""orecast never deletes or re-aliases a registered version it did not make (issue 29,
item 4): a name shared with another model is refused in one line naming ``--register``, and
only orecast's own half-registered versions are swept."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.cli import main

TRAIN = ["train", "--models", "naive", "--years", "2017", "--n-paths", "50", "--no-figures",
         "--n-jobs", "1"]


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _state(uri: str, name: str) -> dict[str, tuple[str, ...]]:
    """{version: its aliases}, read version by version (search results carry no aliases)."""
    client = _client(uri)
    return {str(mv.version): tuple(sorted(client.get_model_version(name, mv.version).aliases))
            for mv in client.search_model_versions(f"name='{name}'")}


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch) -> None:
    # A sqlite store's default artifact root is ./mlruns: keep it out of the checkout.
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def shared(tmp_path: Path) -> tuple[str, str]:
    """A store where another team's model holds ``shared`` (version 1 is its champion,
    version 2 untagged and without alias), with no orecast tags anywhere."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = _client(uri)
    client.create_registered_model("shared")
    for _ in range(2):
        elsewhere = tmp_path / "their-model"
        elsewhere.mkdir(exist_ok=True)
        client.create_model_version("shared", source=str(elsewhere), run_id=None)
    client.set_registered_model_alias("shared", "champion", "1")
    return uri, "shared"


def test_train_refuses_a_name_held_by_a_model_orecast_did_not_make(shared, capsys) -> None:
    uri, name = shared
    before = _state(uri, name)
    assert before == {"1": ("champion",), "2": ()}
    assert main([*TRAIN, "--tracking-uri", uri, "--register", name]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error")]
    assert len(err) == 1, err
    assert err[0].startswith("error: --register: registered model 'shared' holds versions "
                             "1, 2 that orecast did not make")
    assert _state(uri, name) == before


def test_promote_refuses_a_version_orecast_did_not_make(shared, capsys) -> None:
    uri, name = shared
    before = _state(uri, name)
    assert main(["promote", "2", "--name", name, "--tracking-uri", uri]) == 2
    assert "did not make" in capsys.readouterr().err
    assert _state(uri, name) == before


@pytest.mark.slow
def test_a_version_left_pending_by_a_failed_job_is_swept_and_never_promoted(tmp_path: Path,
                                                                            capsys) -> None:
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    assert main([*TRAIN, "--tracking-uri", uri, "--register", "plant"]) == 0
    client = _client(uri)
    first = client.get_model_version("plant", "1")
    assert first.tags["orecast.registration"] == "complete"
    # What a job cut off after "create version" leaves: orecast's tags, pending, no alias.
    mlflow.set_tracking_uri(uri)
    try:
        pending = mlflow.register_model(first.source, "plant",
                                        tags={"orecast.registration": "pending"})
    finally:
        mlflow.set_tracking_uri(None)
    assert main(["promote", str(pending.version), "--name", "plant", "--tracking-uri",
                 uri]) == 2
    assert "pending" in capsys.readouterr().err
    assert main([*TRAIN, "--tracking-uri", uri, "--register", "plant", "--seed", "1"]) == 0
    versions = _state(uri, "plant")
    assert str(pending.version) not in versions
    assert "1" in versions
