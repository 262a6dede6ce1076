"""Model registry: register a logged model, champion / challenger aliases, promotion.

MLflow aliases, not stages. A new version takes the alias ``champion`` only if it beats the
current champion on the same backtest metric over the same origins (the training job
backtests the champion's spec on its own origins, see ``training.train``); otherwise it
takes ``challenger``. Version tags carry the metric values and the data digest.
Registration is the last step of a training job; if tagging or aliasing fails, the version
just created is deleted, so no half-registered version is left behind.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.core.errors import ModelUnavailableError, UsageError
from training.spec import ModelSpec

log = logging.getLogger(__name__)

CHAMPION = "champion"
CHALLENGER = "challenger"
DEFAULT_NAME = "orecast"

#: version tag orecast sets in the create request itself: ``pending`` until the version has
#: its alias, then ``complete``. A version without it (or the older ``alias_at_registration``
#: and ``orecast_version`` tags) was made by something else, unless its artifacts hold an
#: orecast spec (a version of an older orecast cut off before its tags).
REGISTRATION_TAG = "orecast.registration"
_OWN_TAGS = (REGISTRATION_TAG, "alias_at_registration", "orecast_version")


def _client() -> Any:
    from mlflow import MlflowClient

    return MlflowClient()


def _is_missing(exc: Exception) -> bool:
    code = getattr(exc, "error_code", "")
    return code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND") or "not found" in str(exc).lower()


def champion_version(name: str, client: Any | None = None) -> Any | None:
    """The ModelVersion aliased ``champion`` of registered model ``name``, or None."""
    from mlflow.exceptions import MlflowException

    client = client or _client()
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as exc:
        if _is_missing(exc) or "alias" in str(exc).lower():
            return None
        raise


def version_spec(name: str, version: str | int) -> ModelSpec:
    """The spec (``artifacts/spec.json``) of a registered model version.

    Raises:
        ModelUnavailableError: the artifacts cannot be downloaded or hold no spec (exit 3).
    """
    import mlflow

    uri = f"models:/{name}/{version}"
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=tmp))
        except Exception as exc:  # any store failure means "unavailable"
            raise ModelUnavailableError(f"{uri}: cannot download the model ({exc})") from None
        return ModelSpec.load(local / "artifacts" / "spec.json")


@dataclass(frozen=True)
class AliasDecision:
    """Which alias a new version takes, and why.

    Attributes:
        alias: ``champion`` or ``challenger``.
        reason: one line (scores and origins compared).
        score: the new version's mean metric over the compared origins (lower is better).
        champion_score: the current champion's, or None when there was no champion.
        n_origins: origins compared.
    """

    alias: str
    reason: str
    score: float
    champion_score: float | None
    n_origins: int


def decide_alias(metric: str, score: float, champion_score: float | None,
                 n_origins: int) -> AliasDecision:
    """``champion`` if there is no champion or ``score`` is strictly lower, else ``challenger``.

    Args:
        metric: the loss compared (e.g. ``annual_crps``, oz; lower is better).
        score: new model's mean over the compared origins.
        champion_score: the champion's mean over the same origins (None = no champion, NaN =
            the champion was declined at every origin).
        n_origins: number of origins compared.
    """
    if champion_score is None:
        return AliasDecision(CHAMPION, f"no current champion; {metric} {score:.6g} over the "
                             f"{n_origins} origins of this job", score, None, n_origins)
    if not math.isfinite(champion_score):
        return AliasDecision(CHAMPION, "current champion could not forecast these origins",
                             score, champion_score, n_origins)
    if score < champion_score:
        return AliasDecision(CHAMPION, f"{metric} {score:.6g} < champion's {champion_score:.6g} "
                             f"over {n_origins} origins", score, champion_score, n_origins)
    return AliasDecision(CHALLENGER, f"{metric} {score:.6g} >= champion's {champion_score:.6g} "
                         f"over {n_origins} origins", score, champion_score, n_origins)


def _tag_value(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    return str(value)


def is_orecast_version(mv: Any, name: str) -> bool:
    """Whether orecast made registered version ``mv`` of ``name``: it carries orecast's
    registration tags, or (a version an older orecast created and was cut off before
    tagging) its artifacts hold an orecast spec (``artifacts/spec.json``)."""
    import mlflow

    tags = dict(getattr(mv, "tags", None) or {})
    if any(key in tags for key in _OWN_TAGS):
        return True
    try:
        listed = mlflow.artifacts.list_artifacts(
            artifact_uri=f"models:/{name}/{mv.version}/artifacts")
    except Exception:  # an artifact that cannot be listed is not known to be orecast's
        return False
    return any(Path(a.path).name == "spec.json" for a in listed or [])


def _versions(name: str, client: Any) -> list[Any]:
    try:
        return list(client.search_model_versions(f"name='{name}'"))
    except Exception as exc:
        if _is_missing(exc):
            return []
        raise


def check_own_name(name: str, client: Any | None = None) -> None:
    """Refuse a registered model name that holds a version orecast did not make.

    orecast deletes its own half-registered versions and moves ``champion`` between its own
    versions; under a name shared with another model it would delete or demote that model.
    Checked before a training job starts, and again at registration.

    Raises:
        UsageError: one line naming ``--register`` and the foreign versions (exit 2).
    """
    client = client or _client()
    foreign = sorted((str(mv.version) for mv in _versions(name, client)
                      if not is_orecast_version(mv, name)), key=int)
    if foreign:
        raise UsageError(f"registered model {name!r} holds version"
                         f"{'s' if len(foreign) > 1 else ''} {', '.join(foreign[:5])}"
                         f"{' ...' if len(foreign) > 5 else ''} that orecast did not make; "
                         f"expected a name used only by orecast's models (give another "
                         f"name)", option="register")


#: the registered model's description on its MLflow page
MODEL_DESCRIPTION = (
    "orecast's served forecasting procedure for a gold ore processor: given a plant's "
    "monthly production history (month YYYY-MM, gold_oz troy ounces, optional ore tonnes, "
    "grade, recovery, capacity) and params (as_of, year, guidance_low/high, periods, "
    "prices, n_paths, seed), it simulates the rest of the year and returns the monthly "
    "forecast and the year's total (oz; sales in USD where gold prices reach), with the "
    "odds of guidance. The champion alias is the version publications use.")


def register(model_uri: str, name: str, alias: str, tags: Mapping[str, Any],
             description: str | None = None) -> Any:
    """Register ``model_uri`` as a new version of ``name``, tag it and set ``alias``.

    All or nothing: if tagging or aliasing fails, the new version is deleted before the
    error propagates. The version is created with its tags and ``orecast.registration =
    pending`` in one request, so even a version whose job never heard back is known as
    orecast's and swept by the next job; it is marked ``complete`` once it has its alias.
    A name holding a version orecast did not make is refused (``check_own_name``).

    Args:
        model_uri: the logged model's URI (``ModelInfo.model_uri``).
        name: registered model name.
        alias: ``champion`` or ``challenger``.
        tags: version tags (metric values, data digest, ...); values stringified.
        description: the version's description on its MLflow page (what was chosen, on
            which data, how it scored); the registered model gets ``MODEL_DESCRIPTION``
            when it has none.
    Returns:
        The ModelVersion.
    Raises:
        UsageError: ``name`` holds a version orecast did not make; nothing changed.
        The registry's error, after the new version was removed.
    """
    import mlflow

    client = _client()
    check_own_name(name, client)
    sweep_half_registered(name, client)
    own = {key: _tag_value(value) for key, value in tags.items()}
    own.update({"alias_at_registration": alias, REGISTRATION_TAG: "pending"})
    mv = mlflow.register_model(model_uri, name, tags=own)
    try:
        if description:
            client.update_model_version(name, mv.version, description=description)
        if not (client.get_registered_model(name).description or "").strip():
            client.update_registered_model(name, description=MODEL_DESCRIPTION)
        client.set_registered_model_alias(name, alias, mv.version)
        client.set_model_version_tag(name, mv.version, REGISTRATION_TAG, "complete")
    except Exception as exc:
        # No half-registered version: the version exists only with its tags and alias.
        try:
            client.delete_model_version(name, mv.version)
            log.warning("registry: removed %s version %s after a failure: %s", name,
                        mv.version, exc)
        except Exception as cleanup:  # the original failure is what matters
            log.error("registry: could not remove %s version %s: %s", name, mv.version,
                      cleanup)
        raise
    log.info("registry: %s version %s registered as %s", name, mv.version, alias)
    return client.get_model_version(name, mv.version)


def sweep_half_registered(name: str, client: Any | None = None) -> list[str]:
    """Delete versions of ``name`` that an earlier, failed orecast job left half-registered.

    Half-registered: made by orecast (``is_orecast_version``), holding no alias, and either
    still ``orecast.registration = pending`` or (an older orecast's) without its tags. Such a
    version was created by a job that died (or whose server went away) before the rollback
    could reach it, or by a create request the client gave up on but the server carried
    out. A version orecast did not make is never touched, whatever its tags and aliases.
    Training jobs for one registered name run one at a time (their champion comparison is a
    read-then-write on the alias anyway), so no other job can be between creating a version
    and aliasing it when this runs.

    Returns:
        The versions deleted.
    """
    client = client or _client()
    deleted = []
    for found in _versions(name, client):
        tags = dict(found.tags or {})
        state = tags.get(REGISTRATION_TAG)
        if state == "complete" or (state is None and tags.get("alias_at_registration")):
            continue
        if not is_orecast_version(found, name):
            continue
        # Search results never carry aliases: only the version itself says whether it has one.
        if client.get_model_version(name, found.version).aliases:
            continue
        client.delete_model_version(name, found.version)
        log.warning("registry: removed half-registered %s version %s (no alias, "
                    "registration %s)", name, found.version, state or "untagged")
        deleted.append(str(found.version))
    return deleted


def promote(name: str, version: str | int) -> Any:
    """Move the ``champion`` alias of ``name`` to ``version`` by hand.

    The version loses the ``challenger`` alias if it held it; the previous champion keeps
    its version and tags but no alias. Promoting the champion itself changes nothing.

    Args:
        name: registered model name.
        version: the version number to promote.
    Returns:
        The promoted ModelVersion.
    Raises:
        UsageError: no such registered model or version, a version orecast did not make,
            or one left pending by a failed job (exit 2).
    """
    from mlflow.exceptions import MlflowException

    client = _client()
    version = str(version)
    try:
        mv = client.get_model_version(name, version)
    except MlflowException as exc:
        if _is_missing(exc):
            raise UsageError(f"promote: {name} version {version}: expected an existing "
                             f"registered model version") from None
        raise
    if not is_orecast_version(mv, name):
        raise UsageError(f"promote: {name} version {version}: expected a version orecast "
                         f"registered, found one it did not make (it is left as it is)")
    if (mv.tags or {}).get(REGISTRATION_TAG) == "pending":
        raise UsageError(f"promote: {name} version {version}: expected a completely "
                         f"registered version, found one a failed job left pending")
    previous = champion_version(name, client)
    if previous is not None and str(previous.version) == version:
        # Nothing to move: said, and left as it is (no "promoted" tag on a no-op).
        log.info("registry: %s version %s already is champion; nothing changed", name,
                 version)
        return mv
    client.set_registered_model_alias(name, CHAMPION, version)
    if CHALLENGER in (mv.aliases or []):
        client.delete_registered_model_alias(name, CHALLENGER)
    client.set_model_version_tag(name, version, "promoted", "manual")
    log.info("registry: %s champion moved from version %s to %s", name,
             previous.version if previous else "-", version)
    return client.get_model_version(name, version)


def same_model(mv: Any, mv_spec: ModelSpec | None, spec: ModelSpec, data_sha256: str,
               seed: int) -> bool:
    """Whether registered version ``mv`` already is the model a job would register: the same
    procedure (``ModelSpec.same_procedure``: name and params) refitted on the same figures
    (its ``data_sha256`` tag) with the same seed (its ``seed`` tag). A job that would only
    add a copy registers nothing and names that version instead.

    Args:
        mv: a ModelVersion with orecast's tags (the current champion), or None.
        mv_spec: its spec (``version_spec``), or None when it cannot be read.
        spec: the procedure the job selected.
        data_sha256: ``models.data.digest.data_sha256`` of the job's figures.
        seed: the job's base seed.
    """
    if mv is None or mv_spec is None or not mv_spec.same_procedure(spec):
        return False
    tags = dict(getattr(mv, "tags", None) or {})
    return tags.get("data_sha256") == data_sha256 and tags.get("seed") == str(seed)
