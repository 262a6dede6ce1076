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


def register(model_uri: str, name: str, alias: str, tags: Mapping[str, Any]) -> Any:
    """Register ``model_uri`` as a new version of ``name``, tag it and set ``alias``.

    All or nothing: if tagging or aliasing fails, the new version is deleted before the
    error propagates.

    Args:
        model_uri: the logged model's URI (``ModelInfo.model_uri``).
        name: registered model name.
        alias: ``champion`` or ``challenger``.
        tags: version tags (metric values, data digest, ...); values stringified.
    Returns:
        The ModelVersion.
    Raises:
        The registry's error, after the new version was removed.
    """
    import mlflow

    client = _client()
    sweep_half_registered(name, client)
    mv = mlflow.register_model(model_uri, name)
    try:
        for key, value in tags.items():
            client.set_model_version_tag(name, mv.version, key, _tag_value(value))
        client.set_model_version_tag(name, mv.version, "alias_at_registration", alias)
        client.set_registered_model_alias(name, alias, mv.version)
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
    """Delete versions of ``name`` that an earlier, failed job left half-registered.

    ``register`` tags a version before giving it its alias; a version with neither that tag
    nor an alias was created by a job that died (or whose server went away) before the
    rollback could reach it, or by a create request the client gave up on but the server
    carried out. Training jobs for one registered name run one at a time (their champion
    comparison is a read-then-write on the alias anyway), so no other job can be between
    creating and tagging a version when this runs.

    Returns:
        The versions deleted.
    """
    client = client or _client()
    try:
        versions = client.search_model_versions(f"name='{name}'")
    except Exception as exc:
        if _is_missing(exc):
            return []
        raise
    deleted = []
    for mv in versions:
        if mv.tags.get("alias_at_registration") or getattr(mv, "aliases", None):
            continue
        client.delete_model_version(name, mv.version)
        log.warning("registry: removed half-registered %s version %s (no tags, no alias)",
                    name, mv.version)
        deleted.append(str(mv.version))
    return deleted


def promote(name: str, version: str | int) -> Any:
    """Move the ``champion`` alias of ``name`` to ``version`` by hand.

    The version loses the ``challenger`` alias if it held it; the previous champion keeps
    its version and tags but no alias.

    Args:
        name: registered model name.
        version: the version number to promote.
    Returns:
        The promoted ModelVersion.
    Raises:
        UsageError: no such registered model or version (exit 2).
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
    previous = champion_version(name, client)
    client.set_registered_model_alias(name, CHAMPION, version)
    if CHALLENGER in (mv.aliases or []):
        client.delete_registered_model_alias(name, CHALLENGER)
    client.set_model_version_tag(name, version, "promoted", "manual")
    log.info("registry: %s champion moved from version %s to %s", name,
             previous.version if previous else "-", version)
    return client.get_model_version(name, version)
