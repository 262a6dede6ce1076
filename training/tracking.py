"""MLflow tracking helpers: URI resolution, a bounded connectivity check, provenance, data.

Everything is logged explicitly (no autolog). The tracking URI is, in order: the one given
(``--tracking-uri``), ``MLFLOW_TRACKING_URI``, MLflow's own default (``sqlite:///mlflow.db``
in the working directory). Before the first call to a remote server, MLflow's HTTP retry
settings are bounded and the server's ``/health`` endpoint is probed a few times, so an
unreachable server fails in seconds with one line naming the URI instead of retrying for
minutes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import sqlite3
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from models.core.errors import TrackingUnavailableError, UsageError
from models.core.version import orecast_version
from models.data.digest import flat_table

log = logging.getLogger(__name__)

#: bounded HTTP retry settings applied (unless already set) before talking to a server
HTTP_RETRY_ENV = {
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "2",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "20",
}
#: connectivity probes before giving up, and the pause between them (s)
PROBE_ATTEMPTS = 3
PROBE_DELAY_S = 1.0
PROBE_TIMEOUT_S = 3.0
#: room a new sqlite store needs: MLflow's tables take about 930 KiB when it is created
NEW_STORE_BYTES = 1 << 20
#: what sqlite (or SQLAlchemy over it) says when the store itself cannot be used, and what
#: to expect instead (lower case; matched in the error's text)
_STORE_FAILURES = {
    "database is locked": "expected a store no other process holds locked; retry when it "
                          "ends",
    "file is not a database": "expected an MLflow sqlite store (restore it from a backup, or "
                              "point --tracking-uri at another)",
    "database disk image is malformed": "expected an MLflow sqlite store (restore it from "
                                        "a backup, or point --tracking-uri at another)",
    "database or disk is full": "expected room on the store's file system",
    "disk i/o error": "expected a store its file system can read and write",
    "readonly database": "expected a store file this user can write",
    "unable to open database": "expected a store file this user can open",
}


def resolve_tracking_uri(uri: str | None = None) -> str:
    """The tracking URI to use: ``uri``, else ``MLFLOW_TRACKING_URI``, else MLflow's default."""
    if uri:
        return uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    import mlflow

    return mlflow.get_tracking_uri()


def bound_http_retries() -> dict[str, str]:
    """Set MLflow's HTTP retry/timeout environment variables to bounded values.

    Values the user already set are kept. Returns the settings in force.
    """
    for key, value in HTTP_RETRY_ENV.items():
        os.environ.setdefault(key, value)
    return {key: os.environ[key] for key in HTTP_RETRY_ENV}


def is_remote(uri: str) -> bool:
    """True for an ``http(s)://`` tracking server."""
    return uri.startswith(("http://", "https://"))


def check_tracking(uri: str, *, attempts: int = PROBE_ATTEMPTS, delay_s: float = PROBE_DELAY_S,
                   timeout_s: float = PROBE_TIMEOUT_S) -> None:
    """Fail fast when the tracking store cannot be used.

    A server (``http(s)://``) must answer ``GET <uri>/health`` within ``timeout_s`` seconds
    in one of ``attempts`` tries spaced ``delay_s`` apart; a ``sqlite:///`` store must have an
    existing directory for its file and be a readable sqlite database that no other process
    holds locked for more than ``timeout_s``, or, still to be made, have room for one
    (``_probe_sqlite``). Other schemes are left to MLflow.

    Raises:
        TrackingUnavailableError: one line naming the URI and what failed (exit 3).
    """
    if is_remote(uri):
        url = uri.rstrip("/") + "/health"
        reason = ""
        for attempt in range(1, attempts + 1):
            try:
                with urllib.request.urlopen(url, timeout=timeout_s) as resp:
                    if 200 <= resp.status < 300:
                        return
                    reason = f"HTTP {resp.status}"
            except urllib.error.HTTPError as exc:
                reason = f"HTTP {exc.code}"
            except (urllib.error.URLError, OSError) as exc:
                reason = str(getattr(exc, "reason", exc))
            log.info("tracking server %s not reachable (attempt %d/%d): %s", uri, attempt,
                     attempts, reason)
            if attempt < attempts:
                time.sleep(delay_s)
        raise TrackingUnavailableError(
            f"{uri}: tracking server unreachable after {attempts} attempts ({reason}); "
            f"expected a running MLflow server (check --tracking-uri / MLFLOW_TRACKING_URI)")
    if uri.startswith("sqlite:///"):
        db = Path(uri[len("sqlite:///"):])
        if not db.parent.is_dir():
            raise TrackingUnavailableError(
                f"{uri}: tracking store directory {db.parent} does not exist; expected an "
                f"existing directory for the sqlite file")
        _probe_sqlite(uri, db, timeout_s)


def store_failure(exc: BaseException) -> str | None:
    """Why the tracking store itself failed, when ``exc`` or one of its causes says so (a
    sqlite error, or SQLAlchemy's or MLflow's text of one): locked by another process, not
    a database, malformed, disk full, read-only; None for any other error.

    Returns:
        ``<sqlite's first line>; <what was expected>``, or None.
    """
    seen: BaseException | None = exc
    for _ in range(20):  # a cause chain is short; a cycle must not hang the error path
        if seen is None:
            break
        text = " ".join(str(seen).split("\n", 1)[:1]).strip()
        for fragment, expected in _STORE_FAILURES.items():
            if fragment in text.lower():
                return f"{text[:200]}; {expected}"
        seen = seen.__cause__ or seen.__context__
    return None


def _probe_sqlite(uri: str, db: Path, timeout_s: float) -> None:
    """Read a sqlite store through (``PRAGMA quick_check``, read-only, waiting at most
    ``timeout_s`` for another process's lock), or for a store still to be made check its
    folder has room for one (``NEW_STORE_BYTES``): a corrupted, locked or full store is one
    line and exit 3 before any work, not a traceback after it.

    The check reads the whole file once (about 1 s per GB on a local disk).

    Raises:
        TrackingUnavailableError: naming the URI, the file and sqlite's reason.
    """
    if not db.exists():
        try:
            with tempfile.TemporaryFile(dir=db.parent) as fh:
                fh.write(b"\0" * NEW_STORE_BYTES)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise TrackingUnavailableError(
                f"{uri}: cannot make the tracking store {db} "
                f"({exc.strerror or exc}); expected room for a new store "
                f"({NEW_STORE_BYTES // 1024} KiB) in a folder this user can write") from None
        return
    try:
        con = sqlite3.connect(f"file:{urllib.parse.quote(str(db))}?mode=ro", uri=True,
                              timeout=timeout_s)
        try:
            found = con.execute("PRAGMA quick_check").fetchall()
        finally:
            con.close()
        if found != [("ok",)]:
            raise sqlite3.DatabaseError(f"database disk image is malformed "
                                        f"({str(found[0][0])[:100] if found else 'no answer'})")
    except sqlite3.Error as exc:
        reason = store_failure(exc) or f"{exc}; expected an MLflow sqlite store"
        raise TrackingUnavailableError(f"{uri}: the tracking store {db} cannot be used: "
                                       f"{reason}") from None


@contextlib.contextmanager
def tracking_uri(uri: str) -> Iterator[str]:
    """Use ``uri`` for tracking and the registry inside the block, then restore the previous.

    The previous URIs are restored exactly, including "unset" (MLflow's default).
    """
    import mlflow

    # MLflow keeps both URIs in module state and exports them to the environment whenever
    # they are set, so the environment says what the state was: a URI, or unset (None,
    # which set_tracking_uri / set_registry_uri accept and which means "MLflow's default").
    saved_env = {k: os.environ.get(k) for k in ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        yield uri
    finally:
        mlflow.set_tracking_uri(saved_env["MLFLOW_TRACKING_URI"])
        mlflow.set_registry_uri(saved_env["MLFLOW_REGISTRY_URI"])
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def git_commit(start: Path | None = None) -> str | None:
    """The commit of the git checkout holding this package, or None (not a checkout, no git)."""
    root = start or Path(__file__).resolve().parent.parent
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True,
                             text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and len(commit) == 40 else None


def provenance_tags() -> dict[str, str]:
    """Run tags: package version, git commit (when available), python and mlflow versions."""
    import platform

    import mlflow

    tags = {"orecast.version": orecast_version(), "python.version": platform.python_version(),
            "mlflow.version": mlflow.__version__}
    commit = git_commit()
    if commit:
        tags["mlflow.source.git.commit"] = commit
        tags["orecast.git_commit"] = commit
    return tags


def log_history_dataset(history: pd.DataFrame, *, name: str, digest: str,
                        source: str | None = None, context: str = "training") -> Any:
    """Log the production history as an MLflow dataset input of the active run.

    Args:
        history: production frame (monthly PeriodIndex).
        name: dataset name shown in MLflow (e.g. ``dynacor``).
        digest: the data's ``models.data.digest.data_sha256``.
        source: where the data came from (file path or URL); defaults to ``attrs["source"]``.
        context: input context tag (``training``).
    Returns:
        The ``mlflow.data`` PandasDataset logged; its digest is the first 32 hex digits of
        ``digest`` (MLflow stores at most 36 characters), the full sha256 is in the run tag
        ``data.sha256``.
    """
    import mlflow
    import mlflow.data

    with warnings.catch_warnings():
        # A plain path or label as source is ambiguous to MLflow's source registry; it is
        # recorded as given, which is what we want.
        warnings.simplefilter("ignore", UserWarning)
        dataset = mlflow.data.from_pandas(
            flat_table(history),
            source=source or str(history.attrs.get("source", "<memory>")),
            targets="gold_oz", name=name, digest=digest[:32])
    mlflow.log_input(dataset, context=context)
    mlflow.set_tag("data.sha256", digest)
    return dataset


def log_table_csv(frame: pd.DataFrame, artifact_file: str) -> None:
    """Log ``frame`` to the active run as a CSV artifact and as an MLflow table (JSON).

    Args:
        frame: any table; booleans and nullable columns are written as plain values.
        artifact_file: path inside the run's artifacts ending in ``.csv``; the table view is
            logged next to it with ``.json``.
    """
    import mlflow

    mlflow.log_text(frame.to_csv(index=False, lineterminator="\n"), artifact_file)
    plain = frame.astype(object).where(frame.notna(), None)
    mlflow.log_table(plain, artifact_file[:-4] + ".json" if artifact_file.endswith(".csv")
                     else artifact_file + ".json")


#: the kind MLflow's UI reads from an experiment's tags (traditional ML, not GenAI)
EXPERIMENT_KIND = "custom_model_development"


def artifact_location(name: str) -> str | None:
    """Where a new experiment's artifacts go: beside a sqlite store, in
    ``<store folder>/mlartifacts/<name>`` (MLflow's own default is ``./mlruns`` in whatever
    folder the job runs from, which scatters a store's artifacts over working folders);
    None (the server's or MLflow's default) for any other store."""
    import mlflow

    uri = mlflow.get_tracking_uri()
    if not uri.startswith("sqlite:///"):
        return None
    db = Path(uri.removeprefix("sqlite:///")).resolve()
    return (db.parent / "mlartifacts" / name).as_uri()


def ensure_experiment(name: str) -> str:
    """Id of experiment ``name``, created if needed (no global "active experiment" is set).

    Raises:
        UsageError: the experiment exists but was deleted.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    exp = client.get_experiment_by_name(name)
    if exp is None:
        # a forecasting experiment opens on its runs table, not on GenAI traces
        return client.create_experiment(name, artifact_location=artifact_location(name),
                                        tags={"mlflow.experimentKind": EXPERIMENT_KIND})
    if exp.lifecycle_stage != "active":
        raise UsageError(f"{name!r} was deleted; expected an active experiment "
                         f"(restore it or choose another name)", option="experiment")
    return exp.experiment_id


#: experiment id of MLflow's "Default" experiment, where ``mlflow run`` puts its run when no
#: ``--experiment-name`` is given
DEFAULT_EXPERIMENT_ID = "0"
#: project-run tags copied onto a run logged elsewhere, so its page still says where it came from
PROJECT_TAG_PREFIXES = ("mlflow.project.", "mlflow.source.", "mlflow.gitRepoURL")


@dataclasses.dataclass(frozen=True)
class RunPlace:
    """Where a job's top-level run goes.

    Attributes:
        experiment_id: experiment of a new run; None = log into the ``mlflow run`` project run.
        project_run_id: the project run left behind when the job logs into another experiment
            (linked both ways by :func:`link_project_run`); None otherwise.
        experiment_name: the name of ``experiment_id`` when the job logs away from the
            project run (for the link), else None.
    """

    experiment_id: str | None
    project_run_id: str | None = None
    experiment_name: str | None = None


def place_run(requested: str | None, default: str) -> RunPlace:
    """Choose the experiment of a job's top-level run (``requested`` name, else ``default``).

    Under ``mlflow run`` (``MLFLOW_RUN_ID`` set) the project run is used when it is in the
    experiment the job logs to: the one requested, else the project run's own experiment
    unless that is MLflow's "Default" (``mlflow run`` without ``--experiment-name``), else
    ``default``. When they differ, the job opens its own run in that experiment and the
    project run is linked to it, instead of the job's results landing in "Default".

    Raises:
        UsageError: the experiment exists but was deleted.
    """
    from mlflow import MlflowClient

    project_run_id = os.environ.get("MLFLOW_RUN_ID")
    if not project_run_id:
        return RunPlace(ensure_experiment(requested or default))
    client = MlflowClient()
    project_exp_id = client.get_run(project_run_id).info.experiment_id
    project_exp = client.get_experiment(project_exp_id).name
    name = requested or (project_exp if project_exp_id != DEFAULT_EXPERIMENT_ID else default)
    if name == project_exp:
        return RunPlace(None)
    # mlflow.start_run() would resume the project run while this is set
    os.environ.pop("MLFLOW_RUN_ID")
    return RunPlace(ensure_experiment(name), project_run_id, name)


def link_project_run(place: RunPlace, run_id: str) -> None:
    """Tag a run opened away from the ``mlflow run`` project run, and the project run, with
    each other's id (``orecast.project_run_id`` / ``orecast.logged_to``); no-op otherwise."""
    from mlflow import MlflowClient

    if place.project_run_id is None:
        return
    client = MlflowClient()
    project = client.get_run(place.project_run_id)
    for key, value in project.data.tags.items():
        if key.startswith(PROJECT_TAG_PREFIXES):
            client.set_tag(run_id, key, value)
    client.set_tag(run_id, "orecast.project_run_id", place.project_run_id)
    exp = place.experiment_name
    client.set_tag(place.project_run_id, "orecast.logged_to", f"experiment {exp}, run {run_id}")
    log.info("results logged to experiment %s, run %s (the mlflow run project run %s is in "
             "another experiment; pass --experiment-name to keep them together)",
             exp, run_id, place.project_run_id)
