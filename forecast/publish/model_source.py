"""Where a publication's model comes from: a registry URI resolved to one version, loaded.

``models:/NAME@ALIAS`` is resolved to a version number once, before loading, so the files,
the manifest and the MLflow run all name the same version even if the alias moves meanwhile.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from models.core.errors import ModelUnavailableError

log = logging.getLogger(__name__)

_REGISTRY_URI = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[\w.-]+))$")


@dataclass(frozen=True)
class ModelRef:
    """A resolved model: what was asked for, what is loaded, and its registry identity."""

    uri: str
    load_uri: str
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    run_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)


def resolve_model(uri: str) -> ModelRef:
    """Resolve ``models:/name@alias`` or ``models:/name/N`` to one registered version.

    The loaded URI names the version, so an alias moved mid-job does not change the model.
    Other URIs are loaded as given, without registry metadata.

    Raises:
        ModelUnavailableError: no such registered model, version or alias (exit 3).
    """
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    m = _REGISTRY_URI.match(uri)
    if not m:
        return ModelRef(uri=uri, load_uri=uri)
    name, version, alias = m["name"], m["version"], m["alias"]
    client = MlflowClient()
    try:
        mv = (client.get_model_version_by_alias(name, alias) if alias
              else client.get_model_version(name, version))
    except MlflowException as exc:
        code = getattr(exc, "error_code", "")
        if code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND", "INVALID_PARAMETER_VALUE"):
            import mlflow

            raise ModelUnavailableError(
                f"{uri}: no such registered model {'alias' if alias else 'version'} in the "
                f"store {mlflow.get_registry_uri()}; expected a registered version (run "
                f"`orecast train` first, or point --tracking-uri / MLFLOW_TRACKING_URI at "
                f"the store it used)") from None
        raise
    return ModelRef(uri=uri, load_uri=f"models:/{name}/{mv.version}", name=name,
                    version=str(mv.version), alias=alias, run_id=mv.run_id,
                    tags=dict(mv.tags or {}))


@dataclass(frozen=True)
class LoadedModel:
    """The pyfunc model and the procedure behind it (spec and period totals it ships)."""

    pyfunc: Any
    spec: Any
    periods: Any
    run_id: str | None
    model_id: str | None


def load_model(ref: ModelRef) -> LoadedModel:
    """Load the pyfunc of ``ref`` and read its spec.

    Raises:
        ModelUnavailableError: missing or corrupted artifacts, or not an orecast model.
    """
    import mlflow

    try:
        model = mlflow.pyfunc.load_model(ref.load_uri)
        inner = model.unwrap_python_model()
    except ModelUnavailableError:
        raise
    except Exception as exc:  # noqa: BLE001 - any load failure means "unavailable"
        first = (str(exc).splitlines() or [""])[0][:300]
        raise ModelUnavailableError(f"{ref.uri}: cannot load the model "
                                    f"({type(exc).__name__}: {first})") from None
    spec = getattr(inner, "spec", None)
    if spec is None:
        raise ModelUnavailableError(f"{ref.uri}: not an orecast forecasting model (no spec "
                                    f"artifact); expected a model logged by `orecast train`")
    meta = model.metadata
    return LoadedModel(pyfunc=model, spec=spec, periods=getattr(inner, "periods", None),
                       run_id=ref.run_id or meta.run_id,
                       model_id=getattr(meta, "model_id", None))


def backtest_accuracy(ref: ModelRef, model: str, months_known: int) -> dict[str, Any] | None:
    """The selected model's backtest scores at ``months_known``, from its training run.

    Reads ``backtest/summary.csv`` of the run named by the version tag ``parent_run_id``
    (``training.train`` logs it). Returns ``model, months_known, n_origins, annual_ape``
    (% of the actual total), ``annual_crps`` (oz), ``annual_cover80`` (share), and the same
    of the guidance baseline as ``guidance_*``; None when unavailable.
    """
    import mlflow
    import pandas as pd

    run_id = ref.tags.get("parent_run_id")
    if not run_id:
        return None
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id,
                                                   artifact_path="backtest/summary.csv")
        summary = pd.read_csv(path)
    except Exception as exc:  # noqa: BLE001 - the report says it is unavailable
        log.warning("publish: backtest summary of run %s unavailable: %s", run_id, exc)
        return None
    rows = summary.loc[summary["months_known"] == months_known].set_index("model")
    if model not in rows.index:
        return None
    out: dict[str, Any] = {"model": model, "months_known": months_known, "run_id": run_id}
    for prefix, name in (("", model), ("guidance_", "guidance")):
        if name not in rows.index:
            continue
        for col in ("n_origins", "annual_ape", "annual_crps", "annual_cover80"):
            v = rows.loc[name, col]
            out[prefix + col] = None if pd.isna(v) else float(v)
    return out
