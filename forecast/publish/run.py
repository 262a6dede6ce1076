"""The publication's MLflow run: opened with the staged files and annual figures, earlier
runs of the same folder tagged superseded, store failures named."""

from __future__ import annotations

from pathlib import Path

from forecast.publish.compute import Computed
from models.core.errors import ModelUnavailableError, OrecastError, TrackingUnavailableError


def start_run(c: Computed, stage: Path, target: Path, experiment: str | None) -> str:
    """Open the publication run and log the staged files and the annual figures to it.

    ``experiment`` None = ``orecast-publish`` (or the ``mlflow run`` project run's own
    experiment, see ``training.tracking.place_run``).
    """
    import mlflow

    from forecast.publish.request import DEFAULT_EXPERIMENT
    from forecast.publish.revision import PARTS
    from forecast.publish.track_record import track_metrics
    from training.run_logging import log_params_once
    from training.tracking import link_project_run, place_run

    place = place_run(experiment, DEFAULT_EXPERIMENT)
    run = mlflow.start_run(run_name=f"publish-{c.as_of}", experiment_id=place.experiment_id)
    link_project_run(place, run.info.run_id)
    tags = {"orecast.role": "publication", "orecast.as_of": str(c.as_of),
            "orecast.year": str(c.year), "orecast.publication_key": c.key_sha256,
            "orecast.publication_path": str(target.resolve()),
            "orecast.model_uri": c.ref.load_uri,
            "orecast.model_spec": c.loaded.spec.label, "data.sha256": c.data_sha256}
    if c.ref.name:
        tags.update({"orecast.model_name": c.ref.name, "orecast.model_version": c.ref.version})
    if c.loaded.run_id:
        tags["orecast.model_run_id"] = c.loaded.run_id
    tags["orecast.alerts"] = ",".join(a["kind"] for a in c.annual.get("alerts") or []) or "-"
    tags["mlflow.note.content"] = c.sentence  # the run's description: the report's opening
    mlflow.set_tags(tags)
    # Inside ``mlflow run`` the project logged its own parameters (as_of "" when not given):
    # a resolved value that differs goes under orecast.<key> instead of failing the run.
    log_params_once(run.info.run_id, {k: "-" if v is None else v for k, v in c.key.items()
                                      if k not in ("data_sha256", "model_uri")})
    metrics = {k: float(c.annual[k]) for k in ("mean", "p05", "p10", "p50", "p90", "p95",
                                               "ytd_oz", "months_actual", "prob_below_low",
                                               "prob_within", "prob_above_high")
               if c.annual[k] is not None}
    mlflow.log_metrics(metrics)
    mlflow.log_metrics(track_metrics(c.track))
    if c.annual.get("revision"):
        mlflow.log_metrics({f"revision_{k}": float(c.annual["revision"][k])
                            for k in ("change", *PARTS)})
    if c.loaded.model_id:
        mlflow.set_tag("orecast.model_id", c.loaded.model_id)
    mlflow.log_artifacts(str(stage))
    return run.info.run_id


def tag_superseded_runs(target: Path, new_run_id: str) -> None:
    """Tag the earlier finished publication runs of ``target``: no longer what it holds."""
    import mlflow

    runs = mlflow.search_runs(
        search_all_experiments=True, output_format="list",
        filter_string=f"tags.`orecast.publication_path` = '{target.resolve()}'")
    for run in runs:
        if run.info.run_id != new_run_id and "orecast.superseded_by" not in run.data.tags:
            mlflow.MlflowClient().set_tag(run.info.run_id, "orecast.superseded_by", new_run_id)


def unavailable(uri: str, exc: Exception, model_uri: str) -> OrecastError:
    """Name a store failure: tracking unreachable if the probe fails, the store when sqlite
    says it failed (locked, corrupted, disk full), else the model."""
    from training.tracking import check_tracking, store_failure

    try:
        check_tracking(uri, attempts=1)
    except TrackingUnavailableError as down:
        return down
    broken = store_failure(exc)
    if broken is not None:
        return TrackingUnavailableError(f"{uri}: the tracking store failed: {broken}")
    first = (str(exc).splitlines() or [""])[0][:300]
    return ModelUnavailableError(f"{model_uri}: {type(exc).__name__}: {first}")
