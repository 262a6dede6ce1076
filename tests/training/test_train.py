"""The tracked training job: parent and child runs, dataset, champion logic, reproducibility."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from models.data.digest import data_sha256
from models.simulator.plant import simulate_plant
from models.zoo.seasonal_naive import SeasonalNaive
from training.champion import compare_on_common_origins
from training.tracking import tracking_uri
from training.train import TrainConfig, train

MODELS = ["seasonal_naive", "drift"]


@pytest.fixture(scope="module")
def plant() -> pd.DataFrame:
    # Ends 2016-12, sized so that at the first 2016 origin (2015-12) seasonal_naive is one
    # month short of its minimum history and declines, and is fitted from 2016-01 on.
    months = SeasonalNaive.min_history + 11
    start = pd.Period("2016-12", freq="M") - (months - 1)
    return simulate_plant(months, seed=5, start=str(start))


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("train-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with tracking_uri(uri):
        mlflow.MlflowClient().create_experiment("t", artifact_location=str(root / "artifacts"))
    return uri, root


@pytest.fixture(scope="module")
def job(plant, store):
    return train(plant, models=MODELS, years=[2016], tracking=store[0],
                 config=TrainConfig(experiment="t", register_as="job", n_paths=200, seed=3))


def _client(uri: str):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


@pytest.mark.slow
def test_parent_run_logs_params_tags_and_dataset(job, plant, store) -> None:
    run = _client(store[0]).get_run(job.parent_run_id)
    p = run.data.params
    assert p["models"] == "seasonal_naive,drift"
    assert p["n_paths"] == "200" and p["seed"] == "3"
    assert p["selection_metric"] == "annual_crps"
    assert p["origins"].split(",") == ["2015-12", *[f"2016-{m:02d}" for m in range(1, 12)]]
    assert run.data.tags["orecast.version"]
    assert run.data.tags["data.sha256"] == data_sha256(plant) == job.data_sha256
    (ds,) = run.inputs.dataset_inputs
    assert ds.dataset.digest == job.data_sha256[:32]
    assert ds.dataset.name == "history"
    assert "synthetic" in ds.dataset.source
    assert run.data.tags["orecast.selected"] == job.selection.best


@pytest.mark.slow
def test_one_child_run_per_model_with_step_metrics_tables_and_figures(job, store) -> None:
    client = _client(store[0])
    # one child run per candidate: the models and the two mixtures of them
    assert set(job.child_run_ids) == {*MODELS, "ensemble", "ensemble_skill"}
    for model, run_id in job.child_run_ids.items():
        run = client.get_run(run_id)
        assert run.data.tags["mlflow.parentRunId"] == job.parent_run_id
        assert run.info.experiment_id == job.experiment_id
        history = client.get_metric_history(run_id, "annual_ape")
        rows = job.backtest.per_origin
        ok = rows.loc[(rows["model"] == model) & (rows["status"] == "ok")]
        assert sorted(m.step for m in history) == sorted(ok["months_known"].tolist())
        by_step = {m.step: m.value for m in history}
        for r in ok.itertuples():
            assert by_step[r.months_known] == pytest.approx(r.annual_ape)
        assert {"annual_crps", "annual_cover80", "mean_annual_crps"} <= set(run.data.metrics)
        files = {f.path for f in client.list_artifacts(run_id, "backtest")}
        assert "backtest/per_origin.csv" in files
        figs = {f.path for f in client.list_artifacts(run_id, "figures")}
        assert "figures/annual_error_by_months_known.png" in figs


@pytest.mark.slow
def test_declined_origins_are_logged_with_their_reason(job, store) -> None:
    run = _client(store[0]).get_run(job.child_run_ids["seasonal_naive"])
    assert run.data.metrics["n_origins_declined"] == 1
    assert run.data.metrics["n_origins_ok"] == 11
    assert str(SeasonalNaive.min_history) in run.data.tags["orecast.declined_reason"]


@pytest.mark.slow
def test_first_version_is_champion_with_metric_and_digest_tags(job, store) -> None:
    mv = _client(store[0]).get_model_version_by_alias("job", "champion")
    assert str(mv.version) == job.version == "1"
    assert float(mv.tags["annual_crps"]) == pytest.approx(job.metrics["annual_crps"])
    assert mv.tags["data_sha256"] == job.data_sha256
    assert mv.tags["model"] == job.selection.best


@pytest.mark.slow
def test_same_data_and_seed_give_the_same_metrics_and_forecast(job, plant, store) -> None:
    import mlflow

    again = train(plant, models=MODELS, years=[2016], tracking=store[0],
                  config=TrainConfig(experiment="t", register_as=None, n_paths=200, seed=3,
                                     figures=False))
    client = _client(store[0])
    for model in MODELS:
        a = client.get_run(job.child_run_ids[model]).data.metrics
        b = client.get_run(again.child_run_ids[model]).data.metrics
        assert a == b
    pd.testing.assert_frame_equal(job.backtest.per_origin, again.backtest.per_origin)
    x = plant.reset_index()
    x["month"] = x["month"].astype(str)
    x = x[["month", "gold_oz", "ore_processed_t"]]
    params = {"as_of": "2016-06", "n_paths": 300, "seed": 1}
    with tracking_uri(store[0]):
        one = mlflow.pyfunc.load_model(job.model_uri).predict(x, params=params)
        two = mlflow.pyfunc.load_model(again.model_uri).predict(x, params=params)
    pd.testing.assert_frame_equal(one, two)


@pytest.mark.slow
def test_champion_moves_only_when_beaten_on_the_same_origins(job, plant, store) -> None:
    # The same procedure again cannot beat itself: equal scores -> challenger.
    same = train(plant, models=MODELS, years=[2016], tracking=store[0],
                 config=TrainConfig(experiment="t", register_as="job", n_paths=200, seed=3,
                                    figures=False))
    assert same.unchanged and same.version == "1"  # the champion already is this model
    assert same.decision.score == same.decision.champion_score
    other = MODELS[0]  # the mixture of one member: another procedure
    rival = train(plant, models=[other], years=[2016], tracking=store[0],
                  config=TrainConfig(experiment="t", register_as="job", n_paths=200, seed=3,
                                     figures=False))
    d = rival.decision
    assert d.n_origins > 0 and math.isfinite(d.champion_score)
    assert rival.alias == ("champion" if d.score < d.champion_score else "challenger")
    champion = _client(store[0]).get_model_version_by_alias("job", "champion")
    assert str(champion.version) == (rival.version if rival.alias == "champion" else "1")


def test_comparison_uses_only_common_origins() -> None:
    idx = pd.MultiIndex.from_tuples([(2016, "2016-01"), (2016, "2016-02"), (2016, "2016-03")])
    new = pd.Series([1.0, 2.0, 30.0], index=idx)
    champ = pd.Series([2.0, 2.0], index=idx[:2])
    assert compare_on_common_origins(new, champ) == (1.5, 2.0, 2)
    n, c, k = compare_on_common_origins(new, pd.Series(dtype=float))
    assert k == 0 and math.isnan(c) and n == pytest.approx(11.0)


def test_unreachable_server_exits_3_naming_the_uri(capsys, tmp_path: Path) -> None:
    import socket

    from forecast.cli import main

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    uri = f"http://127.0.0.1:{port}"
    code = main(["train", "--tracking-uri", uri, "--models", "drift", "--n-paths", "10"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and err[0].startswith("error: ") and uri in err[0]



@pytest.mark.slow
def test_one_year_of_evidence_serves_the_mixture_of_the_backtested_members(job) -> None:
    # One year cannot let a single model replace the mixture; the mixture served is the
    # one scored: over the models this job backtested, not the whole zoo.
    assert job.selection.best == "ensemble" and job.selection.years == (2016,)
    assert job.spec.name == "ensemble" and job.spec.params["members"] == MODELS
    evidence = job.spec.provenance["evidence"]
    assert evidence["years"] == [2016] and evidence["decision"] == "ensemble"
    assert evidence["origins_by_evidence"] == {"monthly": 12}
