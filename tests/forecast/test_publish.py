"""The publishing job: files, manifest, idempotency, refusals, MLflow run, exit codes."""

from __future__ import annotations

import errno
import json
import logging
import os
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from forecast.cli import exit_code
from forecast.files import sha256_file
from forecast.publish import PublishIOError, PublishRequest, StaleDataError, publish
from forecast.publish.placing import FILES, publications, read_manifest
from forecast.publish.request import check_staleness
from models.core.errors import ModelUnavailableError, PublishConflictError, TrackingUnavailableError
from models.core.summary import ANNUAL_KEYS

N_PATHS = 500


def registered_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A sqlite tracking store holding ``orecast`` version 1 as champion (trained once).

    Trained by ``training.train.train`` on the embedded Dynacor data with one fast model,
    so the version carries the real tags and backtest tables. Shared by the test modules
    and the xdist workers of one session (a file lock in the session's temp folder).
    """
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by the workers of this session
    store = base / "publish-store"
    uri = f"sqlite:///{store}/mlflow.db"
    with open(base / "publish-store.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (store / "ready").exists():
            return uri
        import mlflow

        from training.tracking import tracking_uri
        from training.train import TrainConfig, train

        store.mkdir(parents=True, exist_ok=True)
        with tracking_uri(uri):
            for name in ("orecast", "orecast-publish"):
                mlflow.create_experiment(
                    name, artifact_location=(store / "artifacts" / name).as_uri())
        result = train(None, models=["share_runrate"], tracking=uri,
                       config=TrainConfig(n_paths=100, figures=False, experiment="orecast"))
        assert result.version == "1" and result.alias == "champion"
        (store / "ready").write_text(uri)
    return uri


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


@pytest.fixture
def req(store: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Build a request on the embedded data at as-of 2017-06 into ``tmp_path/root``."""
    monkeypatch.chdir(tmp_path)

    def make(**kw) -> PublishRequest:
        base = dict(out=tmp_path / "root", as_of="2017-06", n_paths=N_PATHS, seed=0,
                    tracking_uri=store)
        return PublishRequest(**{**base, **kw})

    return make


def _runs(store: str, folder: Path) -> pd.DataFrame:
    """Publication runs of ``folder`` (the store is shared by the whole session)."""
    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(store):
        return mlflow.search_runs(experiment_names=["orecast-publish"],
                                  filter_string=f"tags.`orecast.publication_path` = '{folder}'")


def test_publish_writes_a_complete_folder_and_points_latest_at_it(req, store):
    result = publish(req())
    folder = result.path
    assert result.status == "published"
    assert folder == req().out / "2017" / "2017-06"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    manifest = read_manifest(folder)
    assert manifest is not None, "every file must match its digest in manifest.json"
    assert manifest["key"]["model_version"] == "1"
    assert manifest["model"]["alias"] == "champion"
    latest = req().out / "latest"
    assert latest.is_symlink() and latest.resolve() == folder.resolve()
    assert not os.path.isabs(os.readlink(latest))

    annual = json.loads((folder / "annual.json").read_text())
    assert list(annual) == [*ANNUAL_KEYS, "sales_usd", "revision", "alerts"]  # the publication's own
    assert annual["as_of"] == "2017-06" and annual["months_actual"] == 6
    assert annual["ytd_oz"] == pytest.approx(35310.0)
    assert (annual["guidance_low"], annual["guidance_high"]) == (88000.0, 92000.0)
    assert annual["p10"] <= annual["p50"] <= annual["p90"]
    assert annual["model_version"] == "1"
    from models.data.datasets import dynacor
    from models.data.digest import data_sha256

    ds = dynacor()
    assert annual["data_sha256"] == data_sha256(ds.monthly, ds.periods)
    monthly = pd.read_csv(folder / "monthly.csv")
    assert list(monthly["kind"]) == ["actual"] * 6 + ["forecast"] * 6
    quarterly = pd.read_csv(folder / "quarterly.csv")
    # Quarters are summed path by path: Q1 and Q2 are known, so they equal the actuals.
    assert quarterly["p50"].iloc[:2].sum() == pytest.approx(annual["ytd_oz"])

    runs = _runs(store, folder)
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["status"] == "FINISHED"
    assert run["tags.orecast.model_version"] == "1"
    assert run["tags.orecast.model_name"] == "orecast"
    assert run["tags.orecast.publication_key"] == manifest["key_sha256"]
    assert run["metrics.p50"] == annual["p50"]
    assert run["metrics.prob_below_low"] == annual["prob_below_low"]
    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(store):
        names = {a.path for a in mlflow.MlflowClient().list_artifacts(run["run_id"])}
    assert names == set(FILES)


def test_publishing_the_same_inputs_again_is_a_no_op(req, store):
    first = publish(req())
    manifest_bytes = (first.path / "manifest.json").read_bytes()
    again = publish(req(model_uri="models:/orecast/1"))  # same version, named another way
    assert again.status == "unchanged"
    assert again.key_sha256 == first.key_sha256
    assert (first.path / "manifest.json").read_bytes() == manifest_bytes
    assert len(_runs(store, first.path)) == 1, "a no-op logs no run"


def test_a_dry_run_over_a_conflicting_publication_says_it_would_refuse(req):
    publish(req())
    result = publish(req(n_paths=600, dry_run=True))
    assert result.status == "dry-run" and result.would == "refuse"
    assert "n_paths 500 -> 600" in result.notes[0]


def test_other_inputs_are_refused_unless_forced_and_force_keeps_the_old_one(req):
    first = publish(req())
    with pytest.raises(PublishConflictError, match="n_paths 500 -> 600"):
        publish(req(n_paths=600))
    assert read_manifest(first.path)["key_sha256"] == first.key_sha256
    second = publish(req(n_paths=600, force=True))
    assert second.status == "published" and second.superseded is not None
    assert second.superseded.name.startswith("2017-06.superseded-")
    assert read_manifest(second.superseded)["key_sha256"] == first.key_sha256
    assert read_manifest(second.path)["key_sha256"] == second.key_sha256
    assert [p.name for p in publications(req().out)] == ["2017-06"]


def test_a_forced_replacement_tags_the_old_run_superseded(req, store):
    first = publish(req())
    second = publish(req(n_paths=600, force=True))
    runs = _runs(store, first.path.resolve()).set_index("run_id")
    assert runs.loc[first.run_id, "tags.orecast.superseded_by"] == second.run_id
    assert pd.isna(runs.loc[second.run_id].get("tags.orecast.superseded_by"))


def test_same_inputs_give_byte_identical_files_apart_from_created_at(req, tmp_path):
    a = publish(req(out=tmp_path / "a"))
    b = publish(req(out=tmp_path / "b"))
    for name in FILES:
        if name != "manifest.json":
            assert sha256_file(a.path / name) == sha256_file(b.path / name), name
    ma = json.loads((a.path / "manifest.json").read_text())
    mb = json.loads((b.path / "manifest.json").read_text())
    assert ma.pop("created_at") != mb.pop("created_at")
    assert ma == mb


def test_latest_follows_the_latest_as_of_not_the_last_run(req):
    publish(req(as_of="2017-09"))
    publish(req(as_of="2017-03"))
    latest = req().out / "latest"
    assert latest.resolve().name == "2017-09"


def test_staleness_is_days_from_the_end_of_the_last_month(dynacor):
    history = dynacor.monthly  # last figure: 2017-12, known on 2017-12-31
    assert check_staleness(history, 31, date(2018, 1, 31)) == 31
    with pytest.raises(StaleDataError, match="2017-12 \\(32 days old"):
        check_staleness(history, 31, date(2018, 2, 1))
    assert check_staleness(history, None, date(2030, 1, 1)) > 4000
    # the current month may carry a figure; a month that has not begun cannot
    assert check_staleness(history, None, date(2017, 12, 1)) == -30
    with pytest.raises(StaleDataError, match="2017-12 has a figure but starts after today"):
        check_staleness(history, None, date(2017, 11, 30))


def test_stale_data_is_refused_before_anything_is_written(req, monkeypatch):
    monkeypatch.setenv("ORECAST_TODAY", "2018-03-15")
    with pytest.raises(StaleDataError) as err:
        publish(req(max_staleness_days=30))
    assert exit_code(err.value) == 2
    assert not req().out.exists()
    assert publish(req(max_staleness_days=90, dry_run=True)).status == "dry-run"


def test_dry_run_writes_nothing_and_says_what_it_would_do(req):
    result = publish(req(dry_run=True))
    assert result.status == "dry-run" and result.would == "publish"
    assert result.sentence.startswith("As of June 2017 (6 months actual, 35,310 oz)")
    assert not req().out.exists()


def test_missing_model_version_is_exit_3_and_nothing_written(req):
    with pytest.raises(ModelUnavailableError, match="models:/orecast/99") as err:
        publish(req(model_uri="models:/orecast/99"))
    assert exit_code(err.value) == 2
    assert not req().out.exists()


def test_corrupted_model_artifact_is_exit_3_and_nothing_written(req, store, tmp_path):
    import shutil

    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(store):
        local = Path(mlflow.artifacts.download_artifacts("models:/orecast/1",
                                                         dst_path=str(tmp_path / "copy")))
    spec = next(local.rglob("spec.json"))
    spec.write_text('{"format": "orecast-model-spec/1", "name": ')  # truncated
    with pytest.raises(ModelUnavailableError) as err:
        publish(req(model_uri=str(local)))
    assert exit_code(err.value) == 3
    assert not req().out.exists()
    shutil.rmtree(local)
    with pytest.raises(ModelUnavailableError):
        publish(req(model_uri=str(local)))


def test_unreachable_tracking_server_is_exit_3_and_nothing_written(req, monkeypatch):
    import training.tracking as tracking

    monkeypatch.setattr(tracking, "PROBE_DELAY_S", 0.01)
    # Port 9 (discard) on the loopback address: nothing listens there.
    with pytest.raises(TrackingUnavailableError) as err:
        publish(req(tracking_uri="http://127.0.0.1:9"))
    assert exit_code(err.value) == 3
    assert not req().out.exists()


def test_write_failure_keeps_the_previous_publication(req, monkeypatch, store):
    first = publish(req())
    before = {p.name: p.read_bytes() for p in first.path.iterdir()}

    def disk_full(frame, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    import forecast.files

    monkeypatch.setattr(forecast.files, "write_csv", disk_full)
    with pytest.raises(PublishIOError, match="No space left on device") as err:
        publish(req(n_paths=600, force=True))
    assert exit_code(err.value) == 74
    assert {p.name: p.read_bytes() for p in first.path.iterdir()} == before
    assert [p.name for p in req().out.iterdir() if p.name.startswith(".staging")] == []
    assert (req().out / "latest").resolve() == first.path.resolve()
    assert len(_runs(store, first.path)) == 1, "no run for a publication that failed"


def test_each_step_logs_one_structured_line(req, caplog):
    with caplog.at_level(logging.INFO, logger="forecast.publish"):
        publish(req())
    lines = [r.getMessage() for r in caplog.records if r.name == "forecast.publish"]
    steps = [dict(kv.split("=", 1) for kv in line.split() if "=" in kv) for line in lines]
    names = [s["step"] for s in steps]
    for step in ("load_data", "load_model", "forecast", "write_files", "log_run", "place",
                 "update_latest", "done"):
        assert step in names
    forecast = steps[names.index("forecast")]
    assert forecast["as_of"] == "2017-06" and forecast["model_version"] == "1"
    assert int(forecast["ms"]) >= 0 and forecast["status"] == "ok"


def _cli(argv: list[str], capsys) -> tuple[int, str, str]:
    from forecast.cli import main

    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_exit_codes(req, store, tmp_path, capsys):
    root = str(req().out)
    base = ["publish", "--out", root, "--as-of", "2017-06", "--n-paths", str(N_PATHS),
            "--tracking-uri", store]
    code, out, _ = _cli(base, capsys)
    assert code == 0 and "published:" in out
    assert out.startswith("As of June 2017 (6 months actual, 35,310 oz) 2017 output is "
                          "forecast at ")
    code, out, _ = _cli(base, capsys)
    assert code == 0 and "unchanged:" in out
    code, _, err = _cli([*base[:-4], "--n-paths", "600", "--tracking-uri", store], capsys)
    assert code == 2 and err.count("\n") == 1 and "--force" in err

    bad = tmp_path / "bad.csv"
    bad.write_text("month,gold_oz\n2017-01,5000\n2017-02,-3\n")
    code, _, err = _cli(["publish", "--out", str(tmp_path / "other"), "--data", str(bad),
                         "--tracking-uri", store], capsys)
    assert code == 2 and "bad.csv" in err and "gold_oz" in err
    assert not (tmp_path / "other").exists()

    code, _, err = _cli(["publish", "--out", str(tmp_path / "other"), "--model",
                         "models:/nope@champion", "--tracking-uri", store], capsys)
    # a model the reachable store does not hold: a usage error (the store is fine)
    assert code == 2 and err.startswith("error: models:/nope@champion")
    assert not (tmp_path / "other").exists()
