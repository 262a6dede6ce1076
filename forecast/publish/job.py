"""The monthly publishing job: ``publish(request)`` from the checks to the ``latest`` link."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

from forecast.files import os_reason
from forecast.publish.alerts import log_alerts
from forecast.publish.compute import Computed, compute
from forecast.publish.joblog import JobLog
from forecast.publish.placing import (
    STAGING_PREFIX,
    fault_point,
    place,
    read_manifest,
    recover,
    root_lock,
    update_latest_or_raise,
)
from forecast.publish.request import PublishIOError, PublishRequest, PublishResult
from forecast.publish.run import start_run, tag_superseded_runs, unavailable
from forecast.publish.staging import write_publication
from models.core.errors import OrecastError, PublishConflictError

log = logging.getLogger("forecast.publish")


def _existing(target: Path, c: Computed, force: bool) -> str:
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
    from training.tracking import (
        bound_http_retries,
        check_tracking,
        resolve_tracking_uri,
        store_failure,
    )
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
            c = compute(req, job)
        except OrecastError:
            raise
        except Exception as exc:
            # SQLAlchemy's errors of a failing sqlite store are no MlflowException.
            if isinstance(exc, MlflowException | OSError) or store_failure(exc):
                raise unavailable(uri, exc, req.model_uri) from exc
            raise
        root = Path(req.out).absolute()  # paths logged, printed and tagged are absolute
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
                fault_point("locked")
                result.notes = recover(root, job)
                action = _existing(target, c, req.force)
                if action == "unchanged":
                    update_latest_or_raise(root)
                    result.status = "unchanged"
                    job.event("done", status="unchanged", path=target,
                              ms=round((time.perf_counter() - t0) * 1000))
                    log_alerts(c.annual["alerts"])
                    return result
                _publish_locked(req, c, root, target, result, job, uri)
        except OSError as exc:
            # Making ROOT or its lock, or tidying before staging (writing, placing and the
            # link name their own failures). Placing is one rename, so whatever is in place
            # is a complete publication.
            raise PublishIOError(f"{root}: cannot write ({os_reason(exc)}); every publication in "
                                 f"place is complete; rerun the same command") from exc
    job.event("done", status="published", path=target, run_id=result.run_id,
              ms=round((time.perf_counter() - t0) * 1000))
    log_alerts(c.annual["alerts"])
    return result


def _publish_locked(req: PublishRequest, c: Computed, root: Path, target: Path,
                    result: PublishResult, job: JobLog, uri: str) -> None:
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        stage = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{c.as_of}-", dir=root))
    except OSError as exc:  # a file system out of inodes fails here, before any write
        raise PublishIOError(f"{root}: cannot create the staging folder ({os_reason(exc)}); "
                             f"the previous publication is intact") from exc
    run_open = placed = False
    try:
        with job.step("write_files", staging=stage.name):
            try:
                # mkdtemp makes the folder private; a publication is for readers.
                os.chmod(stage, 0o755)
                write_publication(c, stage)
            except OSError as exc:
                raise PublishIOError(f"{stage}: cannot write the publication ({os_reason(exc)}); "
                                     f"the previous publication is intact") from exc
        with job.step("log_run", experiment=req.experiment) as f:
            try:
                result.run_id = start_run(c, stage, target, req.experiment)
                run_open = True
            except Exception as exc:
                if mlflow.active_run() is not None:
                    mlflow.end_run("FAILED")
                if isinstance(exc, MlflowException | OSError):
                    raise unavailable(uri, exc, req.model_uri) from exc
                raise
            f.update(run_id=result.run_id)
        with job.step("place", path=target) as f:
            try:
                placed, result.superseded = place(stage, target, job)
            except OSError as exc:
                raise PublishIOError(f"{target}: cannot move the publication into place "
                                     f"({os_reason(exc)}); the previous publication is intact"
                                     ) from exc
            f.update(superseded=result.superseded)
        with job.step("update_latest") as f:
            f.update(latest=update_latest_or_raise(root, placed_at=target))
        if result.superseded is not None:
            mlflow.set_tag("orecast.superseded", str(result.superseded))
            tag_superseded_runs(target, result.run_id)
        mlflow.end_run("FINISHED")
        run_open = False
        result.status = "published"
    finally:
        if run_open:
            mlflow.end_run("FAILED")
        if not placed and stage.exists():
            shutil.rmtree(stage, ignore_errors=True)
