"""A model URI naming a model, alias, version or logged-model id the (reachable) store does
not hold is a usage error: one line saying what the store holds instead, exit 2, nothing
written. Only an unreachable store is exit 3 (retry). ``promote`` of the version that
already is champion says so and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from forecast.cli import main

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A sqlite store holding ``orecast`` version 1 as champion, artifacts beside it."""
    import mlflow

    from training.tracking import tracking_uri
    from training.train import TrainConfig, train

    root = tmp_path_factory.mktemp("uri-store")
    uri = f"sqlite:///{root}/mlflow.db"
    with tracking_uri(uri):
        for name in ("orecast", "orecast-publish"):
            mlflow.create_experiment(name, artifact_location=(root / name).as_uri())
    result = train(None, models=["naive"], years=[2017], tracking=uri,
                   config=TrainConfig(n_paths=100, figures=False, experiment="orecast"))
    assert result.version == "1"
    return uri


def _run(args: list[str], capsys) -> tuple[int, list[str]]:
    code = main(args)
    return code, capsys.readouterr().err.strip().splitlines()


@pytest.mark.parametrize(("uri", "says"), [
    ("models:/orecats@champion", "no registered model named 'orecats'"),
    ("models:/orecast@champoin", "has no alias 'champoin' (its aliases are champion)"),
    ("models:/orecast/99", "has no version 99 (its only version is 1)"),
    ("models:/orecast", "'orecast' is a registered model: expected models:/orecast@champion"),
    ("models:/m-0000", "no logged model with id 'm-0000'"),
])
def test_publish_with_a_uri_the_store_lacks_is_exit_2_in_one_line(store, tmp_path: Path,
                                                                 monkeypatch, capsys, uri,
                                                                 says):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORECAST_LOG_LEVEL", "ERROR")
    code, err = _run(["publish", "--as-of", "2017-06", "--out", str(tmp_path / "root"),
                      "--n-paths", "200", "--model", uri, "--tracking-uri", store], capsys)
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith(f"error: {uri}: ") and says in err[0], err
    if "orecats" in uri:
        assert "it holds orecast" in err[0] and store in err[0]
    assert not (tmp_path / "root").exists()


def test_guidance_with_a_misspelt_model_name_is_exit_2(store, tmp_path: Path, monkeypatch,
                                                      capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ORECAST_LOG_LEVEL", "ERROR")
    code, err = _run(["guidance", "--year", "2018", "--out", str(tmp_path / "g"),
                      "--n-paths", "200", "--model", "models:/orecats@champion",
                      "--tracking-uri", store], capsys)
    assert code == 2, err
    assert len(err) == 1 and "no registered model named 'orecats'" in err[0]
    assert not (tmp_path / "g").exists()


def test_an_unreachable_store_is_still_exit_3(tmp_path: Path, monkeypatch, capsys):
    import training.tracking as tracking
    from tests.training.test_server import _free_port

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tracking, "PROBE_DELAY_S", 0.01)
    code, err = _run(["publish", "--as-of", "2017-06", "--out", str(tmp_path / "root"),
                      "--model", "models:/orecats@champion",
                      "--tracking-uri", f"http://127.0.0.1:{_free_port()}"], capsys)
    assert code == 3 and len(err) == 1 and "unreachable" in err[0], err


def test_promote_of_the_champion_says_it_already_is(store, capsys):
    from mlflow import MlflowClient

    assert main(["promote", "1", "--tracking-uri", store]) == 0
    assert capsys.readouterr().out.strip() == "unchanged: orecast version 1 already is champion"
    mv = MlflowClient(tracking_uri=store, registry_uri=store).get_model_version("orecast", "1")
    assert "promoted" not in mv.tags  # a no-op leaves no trace of a manual promotion
