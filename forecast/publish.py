"""The monthly publishing job: one as-of month's forecast, published atomically and idempotently.

A publication is the folder ``ROOT/<year>/<as_of>/`` holding ``monthly.csv``,
``quarterly.csv``, ``annual.json``, ``fan_chart.png``, ``guidance_chart.png``,
``report.html`` and ``manifest.json`` (the sha256 of every other file and the inputs that
made them), plus an MLflow run with the same files as artifacts.

Guarantees (see docs/running_the_monthly_job.md):

- Atomic: files are written to ``ROOT/.staging-*``, then the folder is renamed into place
  (an existing folder is swapped with ``renameat2(RENAME_EXCHANGE)``, so the path always
  holds a complete publication), then ``ROOT/latest`` (a relative symlink) is replaced by
  ``rename``. ``manifest.json`` is written last; a folder is complete when every file
  matches its digest in it.
- Idempotent: the key is (data sha256, model name/version/run id or URI, as-of, year,
  guidance, seed, n_paths). The same key again is a no-op; another key for a published
  as-of is refused unless ``force``, which keeps the old folder as
  ``<as_of>.superseded-<UTC timestamp>``.
- Exclusive: one publish at a time per ROOT (``fcntl.flock`` on ``ROOT/.publish.lock``,
  non-blocking); the loser raises ``PublishLockedError`` before writing anything.
- Nothing is written when the data is invalid or stale, or the model or tracking store is
  unavailable: those are checked before ROOT is touched.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from forecast.joblog import JobLog
from forecast.model_source import (  # noqa: F401  (re-exported)
    LoadedModel,
    ModelRef,
    backtest_accuracy,
    load_model,
    resolve_model,
)
from forecast.publish_fs import (  # noqa: F401  (re-exported: tests and tools use them)
    FILES,
    LATEST,
    LOCK_NAME,
    STAGING_PREFIX,
    PublishLockedError,
    _fault_point,
    exchange_dirs,
    key_digest,
    publications,
    read_manifest,
    recover,
    root_lock,
    sha256_file,
    superseded_name,
    update_latest,
)
from models.core.errors import (
    DataValidationError,
    ModelUnavailableError,
    OrecastError,
    OutputWriteError,
    PublishConflictError,
    TrackingUnavailableError,
    UsageError,
)
from models.core.version import orecast_version
from models.core.year import target_year

log = logging.getLogger(__name__)

DEFAULT_MODEL_URI = "models:/orecast@champion"
DEFAULT_EXPERIMENT = "orecast-publish"
FORMAT = "orecast-publication/1"


class StaleDataError(DataValidationError):
    """The last month with a figure is older than the allowed staleness (exit 2)."""


class PublishIOError(OutputWriteError):
    """Writing the publication failed (disk full, permissions); the previous one is intact."""


@dataclass(frozen=True)
class PublishRequest:
    """What to publish and where.

    Attributes:
        out: ROOT folder of the publications.
        data: production history file (None = the embedded Dynacor dataset).
        guidance: guidance file (None = the dataset's own guidance, if any).
        periods: period totals file (None = the embedded dataset's own with the embedded
            data, none with a data file).
        model_uri: ``models:/<name>@<alias>``, ``models:/<name>/<version>`` or any URI
            ``mlflow.pyfunc.load_model`` reads.
        as_of: ``YYYY-MM`` or None (the last month with a figure).
        force: replace a publication of this as-of made from other inputs.
        dry_run: compute and report what would happen; write nothing, log no run.
        max_staleness_days: refuse data whose last month ended more than this many days
            before ``today`` (None = no check).
        today: the date staleness is measured against (None = today, or ``ORECAST_TODAY``).
        n_paths, seed: simulation size and seed (part of the idempotency key).
        tracking_uri: MLflow tracking URI (None = ``MLFLOW_TRACKING_URI`` or the default).
        experiment: MLflow experiment of the publication runs.
    """

    out: Path
    data: Path | None = None
    guidance: Path | None = None
    periods: Path | None = None
    model_uri: str = DEFAULT_MODEL_URI
    as_of: str | None = None
    force: bool = False
    dry_run: bool = False
    max_staleness_days: int | None = None
    today: date | None = None
    n_paths: int = 4000
    seed: int = 0
    tracking_uri: str | None = None
    experiment: str = DEFAULT_EXPERIMENT


@dataclass
class PublishResult:
    """Outcome of ``publish``.

    Attributes:
        status: ``published``, ``unchanged`` (same key already published), ``dry-run``.
        path: the publication folder ``ROOT/<year>/<as_of>``.
        as_of, year: the month and target year.
        annual: the ``annual.json`` record (oz, probabilities).
        sentence: the report's opening sentence.
        key_sha256: digest of the idempotency key.
        run_id: the MLflow publication run (None unless published).
        superseded: where the replaced publication was kept (force only).
        would: for a dry run, what a real run would do (``publish``, ``unchanged``,
            ``refuse``, ``supersede``).
    """

    status: str
    path: Path
    as_of: str
    year: int
    annual: dict[str, Any]
    sentence: str
    key_sha256: str
    run_id: str | None = None
    superseded: Path | None = None
    would: str | None = None
    notes: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- inputs

def resolve_today(today: date | None = None) -> date:
    """``today``, else ``ORECAST_TODAY`` (YYYY-MM-DD), else the local date."""
    if today is not None:
        return today
    env = os.environ.get("ORECAST_TODAY")
    if env:
        try:
            return date.fromisoformat(env)
        except ValueError:
            raise UsageError(f"ORECAST_TODAY: expected YYYY-MM-DD, got {env!r}") from None
    return date.today()


def check_staleness(history: Any, max_days: int | None, today: date,
                    periods: Any = None) -> int:
    """Days from the end of the last month with a figure to ``today``; raise if over ``max_days``.

    A month's figure is taken as known at the end of that month (its last day); for a
    quarterly reporter, the last month its published totals cover.

    Raises:
        StaleDataError: ``(today - last day of last month).days > max_days`` (exit 2).
    """
    from forecast.inputs import last_reported_month

    last = last_reported_month(history, periods)
    age = (today - last.end_time.date()).days
    if max_days is not None and age > max_days:
        raise StaleDataError(
            f"{history.attrs.get('source', '<data>')}: gold_oz: last month with a figure is "
            f"{last} ({age} days old on {today}); expected at most {max_days} days "
            f"(--max-staleness-days)")
    return age


# ----------------------------------------------------------------------------- the job

@dataclass
class _Computed:
    """Everything a publication is made of, computed before ROOT is touched."""

    as_of: Any
    year: int
    guidance: tuple[float, float] | None
    yf: Any
    annual: dict[str, Any]
    key: dict[str, Any]
    key_sha256: str
    ref: ModelRef
    loaded: LoadedModel
    data_label: str
    data_sha256: str
    backtest: dict[str, Any] | None
    sentence: str


def _served_agrees(served: Any, monthly: Any, annual: dict[str, Any]) -> str | None:
    """None when the pyfunc's output equals the in-process forecast, else what differs."""
    import numpy as np

    months = served.loc[served["section"] == "month"]
    for col in ("mean", "p10", "p50", "p90"):
        if not np.array_equal(months[col].to_numpy(float), monthly[col].to_numpy(float)):
            return f"monthly {col}"
    row = served.loc[served["section"] == "annual"].iloc[0]
    for k in ("ytd_oz", "mean", "p05", "p10", "p50", "p90", "p95", "prob_below_low",
              "prob_within", "prob_above_high"):
        a, b = annual[k], row[k]
        if not ((a is None and b != b) or (a is not None and float(a) == float(b))):
            return f"annual {k}"
    return None


def _compute(req: PublishRequest, job: JobLog) -> _Computed:
    from forecast.inputs import last_reported_month, load_inputs
    from forecast.report import lead_sentence
    from models.core.summary import annual_summary, monthly_frame
    from models.core.year import forecast_year, guidance_in_force, parse_month
    from training.pyfunc_model import history_from_input, periods_to_text
    from training.tracking import data_digest, history_to_input

    with job.step("load_data") as f:
        inputs = load_inputs(req.data, req.guidance, req.periods)
        periods_text = periods_to_text(inputs.periods)
        history = inputs.history
        digest = data_digest(history)
        as_of = (parse_month(req.as_of) if req.as_of
                 else last_reported_month(history, inputs.periods))
        year = target_year(as_of)
        today = resolve_today(req.today)
        age = check_staleness(history, req.max_staleness_days, today, inputs.periods)
        guidance = guidance_in_force(inputs.guidance, year, as_of)
        job.bind(as_of=str(as_of))
        f.update(data=inputs.label, data_sha256=digest[:12], year=year, age_days=age,
                 guidance=None if guidance is None else f"{guidance[0]:.0f}-{guidance[1]:.0f}")
    with job.step("load_model", model_uri=req.model_uri) as f:
        ref = resolve_model(req.model_uri)
        loaded = load_model(ref)
        job.bind(model_version=ref.version or loaded.spec.label)
        f.update(model=loaded.spec.label, run_id=loaded.run_id)
    with job.step("forecast", n_paths=req.n_paths, seed=req.seed) as f:
        flat = history_to_input(history)
        params: dict[str, Any] = {"as_of": str(as_of), "year": year, "n_paths": req.n_paths,
                                  "seed": req.seed, "model_version": ref.version or "",
                                  "periods": periods_text}
        if guidance is not None:
            params.update(guidance_low=guidance[0], guidance_high=guidance[1])
        served = loaded.pyfunc.predict(flat, params=params)
        # The served output has no paths; quarters and charts need them. The same procedure
        # on the same validated history and seed gives the same paths, checked below.
        same_history, _ = history_from_input(flat)
        yf = forecast_year(loaded.spec.build(), same_history, as_of, year, n_paths=req.n_paths,
                           seed=req.seed, periods=inputs.periods)
        annual = annual_summary(yf, guidance, model_version=ref.version or loaded.spec.label,
                                data_sha256=digest, orecast_version=orecast_version())
        diff = _served_agrees(served, monthly_frame(yf), annual)
        if diff is not None:
            raise ModelUnavailableError(f"{ref.uri}: the served model's {diff} differs from its "
                                        f"spec {loaded.spec.label} run in process; expected "
                                        f"the same numbers (orecast versions differ?)")
        f.update(p50=annual["p50"], p10=annual["p10"], p90=annual["p90"])
    backtest = backtest_accuracy(ref, ref.tags.get("candidate") or loaded.spec.name,
                                 yf.months_actual)
    if backtest is not None and ref.tags.get("data_sha256") != digest:
        # The accuracy of a model trained on another plant's figures is not this plant's.
        backtest["other_data"] = ref.tags.get("data_name") or "other data"
    key = {"data_sha256": digest, "model_uri": ref.load_uri, "model_name": ref.name,
           "periods_sha256": hashlib.sha256(periods_text.encode()).hexdigest(),
           "model_version": ref.version, "model_run_id": loaded.run_id, "as_of": str(as_of),
           "year": year, "guidance_low": None if guidance is None else guidance[0],
           "guidance_high": None if guidance is None else guidance[1], "seed": req.seed,
           "n_paths": req.n_paths}
    return _Computed(as_of=as_of, year=year, guidance=guidance, yf=yf, annual=annual, key=key,
                     key_sha256=key_digest(key), ref=ref, loaded=loaded,
                     data_label=inputs.label, data_sha256=digest, backtest=backtest,
                     sentence=lead_sentence(annual))


def _write_files(c: _Computed, stage: Path) -> dict[str, Any]:
    """Write every file of the publication into ``stage``; the manifest last. Returns it."""
    from forecast.charts import fan_chart, guidance_chart, save_png
    from forecast.outputs import write_csv, write_json
    from forecast.report import ReportInputs, render_report
    from models.core.summary import monthly_frame, quarterly_frame

    monthly, quarterly = monthly_frame(c.yf), quarterly_frame(c.yf)
    writers = {
        "monthly.csv": lambda p: write_csv(monthly, p),
        "quarterly.csv": lambda p: write_csv(quarterly, p),
        "annual.json": lambda p: write_json(c.annual, p),
        "fan_chart.png": lambda p: save_png(fan_chart(c.yf, c.guidance), p),
        "guidance_chart.png": lambda p: save_png(guidance_chart(c.yf, c.guidance), p),
    }
    for name, write in writers.items():
        write(stage / name)
        _fault_point(f"staged:{name}")
    model_info = {"uri": c.ref.uri, "loaded": c.ref.load_uri, "name": c.ref.name,
                  "version": c.ref.version, "alias": c.ref.alias, "run_id": c.loaded.run_id,
                  "spec": c.loaded.spec.label, "zoo_model": c.loaded.spec.name}
    html = render_report(ReportInputs(
        annual=c.annual, monthly=monthly, quarterly=quarterly,
        fan_png=(stage / "fan_chart.png").read_bytes(),
        guidance_png=(stage / "guidance_chart.png").read_bytes(),
        model=model_info, backtest=c.backtest, data_label=c.data_label,
        n_paths=c.key["n_paths"], seed=c.key["seed"]))
    (stage / "report.html").write_text(html, encoding="utf-8")
    _fault_point("staged:report.html")
    manifest = {
        "format": FORMAT, "year": c.year, "as_of": str(c.as_of),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "key_sha256": c.key_sha256, "key": c.key,
        "data": {"source": c.data_label, "sha256": c.data_sha256},
        "model": model_info, "orecast_version": orecast_version(),
        "files": {name: sha256_file(stage / name) for name in FILES if name != "manifest.json"},
    }
    write_json(manifest, stage / "manifest.json")
    _fault_point("staged:manifest.json")
    return manifest


def _start_run(c: _Computed, stage: Path, target: Path, experiment: str) -> str:
    """Open the publication run and log the staged files and the annual figures to it."""
    import mlflow

    from training.run_logging import log_params_once

    if not os.environ.get("MLFLOW_RUN_ID"):
        mlflow.set_experiment(experiment)
    run = mlflow.start_run(run_name=f"publish-{c.as_of}")
    tags = {"orecast.role": "publication", "orecast.as_of": str(c.as_of),
            "orecast.year": str(c.year), "orecast.publication_key": c.key_sha256,
            "orecast.publication_path": str(target.resolve()),
            "orecast.model_uri": c.ref.load_uri,
            "orecast.model_spec": c.loaded.spec.label, "data.sha256": c.data_sha256}
    if c.ref.name:
        tags.update({"orecast.model_name": c.ref.name, "orecast.model_version": c.ref.version})
    if c.loaded.run_id:
        tags["orecast.model_run_id"] = c.loaded.run_id
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
    if c.loaded.model_id:
        mlflow.set_tag("orecast.model_id", c.loaded.model_id)
    mlflow.log_artifacts(str(stage))
    return run.info.run_id


def _existing(target: Path, c: _Computed, force: bool) -> str:
    """``publish``, ``unchanged``, ``supersede`` (force) or raise PublishConflictError."""
    if not target.exists():
        return "publish"
    old = read_manifest(target)
    if old is not None and old.get("key_sha256") == c.key_sha256:
        return "unchanged"
    if force:
        return "supersede"
    if old is None:
        raise PublishConflictError(f"{target}: exists but is not a complete publication; "
                                   f"expected --force to replace it")
    diffs = [f"{k} {old['key'].get(k)} -> {v}" for k, v in c.key.items()
             if old["key"].get(k) != v]
    raise PublishConflictError(f"{target}: already published from other inputs "
                               f"({'; '.join(diffs)[:400]}); expected --force to supersede it")


def publish(req: PublishRequest) -> PublishResult:
    """Run the monthly publishing job (see the module docstring for the guarantees).

    Raises:
        DataValidationError / StaleDataError / UsageError: bad or stale input (exit 2).
        ModelUnavailableError / TrackingUnavailableError: exit 3, nothing written.
        PublishConflictError: other inputs already published for this as-of (exit 2).
        PublishLockedError: another publish holds ROOT's lock (exit 75).
        PublishIOError: writing failed; the previous publication is intact (exit 74).
    """
    from training.tracking import bound_http_retries, check_tracking, resolve_tracking_uri
    from training.tracking import tracking_uri as using

    job = JobLog(log, job="publish")
    # Progress bars of artifact transfers would interleave with the one-line-per-step log.
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    t0 = time.perf_counter()
    uri = resolve_tracking_uri(req.tracking_uri)
    with job.step("check_tracking", tracking=uri):
        bound_http_retries()
        check_tracking(uri)
    with using(uri):
        from mlflow.exceptions import MlflowException

        try:
            c = _compute(req, job)
        except (MlflowException, OSError) as exc:
            raise _unavailable(uri, exc, req.model_uri) from exc
        root = Path(req.out)
        target = root / str(c.year) / str(c.as_of)
        result = PublishResult(status="dry-run", path=target, as_of=str(c.as_of), year=c.year,
                               annual=c.annual, sentence=c.sentence, key_sha256=c.key_sha256)
        if req.dry_run:
            try:
                result.would = _existing(target, c, req.force)
            except PublishConflictError as conflict:
                # A dry run reports what a real run would do, refusing included: exit 0.
                result.would = "refuse"
                result.notes.append(str(conflict))
            job.event("done", status="dry-run", would=result.would,
                      ms=round((time.perf_counter() - t0) * 1000))
            return result
        try:
            with root_lock(root):
                _fault_point("locked")
                result.notes = recover(root, job)
                action = _existing(target, c, req.force)
                if action == "unchanged":
                    _update_latest_or_raise(root)
                    result.status = "unchanged"
                    job.event("done", status="unchanged", path=target,
                              ms=round((time.perf_counter() - t0) * 1000))
                    return result
                _publish_locked(req, c, root, target, result, job, uri)
        except OSError as exc:
            # Making ROOT or its lock, or tidying before staging (writing, placing and the
            # link name their own failures). Placing is one rename, so whatever is in place
            # is a complete publication.
            raise PublishIOError(f"{root}: cannot write ({_why(exc)}); every publication in "
                                 f"place is complete; rerun the same command") from exc
    job.event("done", status="published", path=target, run_id=result.run_id,
              ms=round((time.perf_counter() - t0) * 1000))
    return result


def _tag_superseded_runs(target: Path, new_run_id: str) -> None:
    """Tag the earlier finished publication runs of ``target``: no longer what it holds."""
    import mlflow

    runs = mlflow.search_runs(
        search_all_experiments=True, output_format="list",
        filter_string=f"tags.`orecast.publication_path` = '{target.resolve()}'")
    for run in runs:
        if run.info.run_id != new_run_id and "orecast.superseded_by" not in run.data.tags:
            mlflow.MlflowClient().set_tag(run.info.run_id, "orecast.superseded_by", new_run_id)


def _unavailable(uri: str, exc: Exception, model_uri: str) -> OrecastError:
    """Name a store failure: tracking unreachable if the probe fails, else the model."""
    from training.tracking import check_tracking

    try:
        check_tracking(uri, attempts=1)
    except TrackingUnavailableError as down:
        return down
    first = (str(exc).splitlines() or [""])[0][:300]
    return ModelUnavailableError(f"{model_uri}: {type(exc).__name__}: {first}")


def _place(stage: Path, target: Path, job: JobLog) -> tuple[bool, Path | None]:
    """Move the staged folder to ``target``; an existing target is kept as superseded.

    Returns (placed, where the previous publication was kept or None). After an atomic
    swap the staging path holds the previous publication: if moving it aside fails, it is
    left there for ``recover`` (it is complete and older than the one in place).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(stage, target)
        _fault_point("placed")
        return True, None
    kept = superseded_name(target)
    if exchange_dirs(stage, target):
        _fault_point("exchanged")
        try:
            os.rename(stage, kept)
        except OSError as exc:
            job.event("place", logging.ERROR, status="kept-in-staging", error=exc)
            return True, stage
    else:
        # Without an atomic swap the path is briefly empty; the old folder is never lost.
        os.rename(target, kept)
        _fault_point("exchanged")
        os.rename(stage, target)
    _fault_point("placed")
    return True, kept


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc) or type(exc).__name__


def _update_latest_or_raise(root: Path, placed_at: Path | None = None) -> Path | None:
    """``update_latest``, its failure named as a ``PublishIOError`` (exit 74).

    The publications themselves are complete either way; a rerun of the same command finds
    its publication unchanged and points ``latest`` again.
    """
    try:
        return update_latest(root)
    except OSError as exc:
        done = (f"the publication is in place at {placed_at}" if placed_at is not None
                else "every publication is intact")
        raise PublishIOError(f"{root / LATEST}: cannot update the link ({_why(exc)}); "
                             f"{done}; rerun the same command to point it") from exc


def _publish_locked(req: PublishRequest, c: _Computed, root: Path, target: Path,
                    result: PublishResult, job: JobLog, uri: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{c.as_of}-", dir=root))
    except OSError as exc:  # a file system out of inodes fails here, before any write
        raise PublishIOError(f"{root}: cannot create the staging folder ({_why(exc)}); "
                             f"the previous publication is intact") from exc
    run_open = placed = False
    try:
        with job.step("write_files", staging=stage.name):
            try:
                # mkdtemp makes the folder private; a publication is for readers.
                os.chmod(stage, 0o755)
                _write_files(c, stage)
            except OSError as exc:
                raise PublishIOError(f"{stage}: cannot write the publication ({_why(exc)}); "
                                     f"the previous publication is intact") from exc
        with job.step("log_run", experiment=req.experiment) as f:
            try:
                result.run_id = _start_run(c, stage, target, req.experiment)
                run_open = True
            except Exception as exc:
                if mlflow.active_run() is not None:
                    mlflow.end_run("FAILED")
                if isinstance(exc, MlflowException | OSError):
                    raise _unavailable(uri, exc, req.model_uri) from exc
                raise
            f.update(run_id=result.run_id)
        with job.step("place", path=target) as f:
            try:
                placed, result.superseded = _place(stage, target, job)
            except OSError as exc:
                raise PublishIOError(f"{target}: cannot move the publication into place "
                                     f"({_why(exc)}); the previous publication is intact"
                                     ) from exc
            f.update(superseded=result.superseded)
        with job.step("update_latest") as f:
            f.update(latest=_update_latest_or_raise(root, placed_at=target))
        if result.superseded is not None:
            mlflow.set_tag("orecast.superseded", str(result.superseded))
            _tag_superseded_runs(target, result.run_id)
        mlflow.end_run("FINISHED")
        run_open = False
        result.status = "published"
    finally:
        if run_open:
            mlflow.end_run("FAILED")
        if not placed and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
