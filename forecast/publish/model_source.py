"""Where a publication's model comes from: a registry URI resolved to one version, loaded.

``models:/NAME@ALIAS`` is resolved to a version number once, before loading, so the files,
the manifest and the MLflow run all name the same version even if the alias moves meanwhile.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from models.core.errors import ModelUnavailableError, UsageError

log = logging.getLogger(__name__)

#: registered model names listed in the error when a URI names none of them
MAX_NAMES_SHOWN = 10


class RegisteredModelNotFound(UsageError, ModelUnavailableError):
    """A registry URI names a model, version or alias that the (reachable) store does not
    hold: a typo or the wrong store, which retrying will not mend (exit 2, the nearest class
    of ``UsageError``). Still a ``ModelUnavailableError``, so code that carries on without a
    model it cannot load (the previous publication's model) still catches it."""

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
        RegisteredModelNotFound: no such registered model, version or alias in a store that
            answers (exit 2); a store that cannot be reached is the caller's
            ``TrackingUnavailableError`` (exit 3).
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
            raise RegisteredModelNotFound(_not_found(client, uri, name, version, alias)) from None
        raise
    return ModelRef(uri=uri, load_uri=f"models:/{name}/{mv.version}", name=name,
                    version=str(mv.version), alias=alias, run_id=mv.run_id,
                    tags=dict(mv.tags or {}))


def _not_found(client: Any, uri: str, name: str, version: str | None,
               alias: str | None) -> str:
    """One line: what of ``uri`` the store lacks, and what it holds instead (best effort)."""
    import mlflow

    store = mlflow.get_registry_uri()
    try:
        model = client.get_registered_model(name)
    except Exception:  # noqa: BLE001 - the model is missing (or unreadable): list the names
        try:
            names = sorted(m.name for m in client.search_registered_models(
                max_results=MAX_NAMES_SHOWN + 1))
        except Exception:  # noqa: BLE001 - the message is still right without the list
            names = []
        held = (f"; it holds {', '.join(names[:MAX_NAMES_SHOWN])}"
                f"{', ...' if len(names) > MAX_NAMES_SHOWN else ''}" if names
                else "; it holds no registered model (run `orecast train` first)")
        return (f"{uri}: no registered model named {name!r} in the store {store}{held}; "
                f"expected models:/NAME@ALIAS or models:/NAME/VERSION of a registered model, "
                f"or --tracking-uri / MLFLOW_TRACKING_URI naming the store `orecast train` used")
    if alias:
        aliases = sorted((getattr(model, "aliases", None) or {}).keys())
        held = f"its aliases are {', '.join(aliases)}" if aliases else "it has no alias"
        return f"{uri}: registered model {name!r} has no alias {alias!r} ({held})"
    try:
        versions = sorted(int(mv.version) for mv in
                          client.search_model_versions(f"name='{name}'"))
    except Exception:  # noqa: BLE001 - the message is still right without the range
        versions = []
    shown = ", ".join(map(str, versions)) if len(versions) <= MAX_NAMES_SHOWN else (
        f"{versions[0]} to {versions[-1]}")
    held = (f"its versions are {shown}" if len(versions) > 1
            else f"its only version is {versions[0]}" if versions else "it has no version")
    return f"{uri}: registered model {name!r} has no version {version} ({held})"


def _cannot_load(ref: ModelRef, exc: Exception) -> ModelUnavailableError:
    first = (str(exc).splitlines() or [""])[0][:300]
    return ModelUnavailableError(f"{ref.uri}: cannot load the model "
                                 f"({type(exc).__name__}: {first})")


def _no_logged_model(uri: str) -> str:
    """One line for ``models:/<id>`` that names no logged model, with the registry URI meant
    when ``<id>`` is a registered model's name."""
    import mlflow
    from mlflow import MlflowClient

    ident = uri[len("models:/"):]
    text = (f"{uri}: no logged model with id {ident!r} in the store "
            f"{mlflow.get_tracking_uri()}")
    try:
        MlflowClient().get_registered_model(ident)
    except Exception:  # noqa: BLE001 - not a registered name either
        return (f"{text}; expected models:/NAME@ALIAS, models:/NAME/VERSION or the "
                f"models:/<model id> that `orecast train` prints")
    return f"{text}; {ident!r} is a registered model: expected models:/{ident}@champion"


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
        RegisteredModelNotFound: ``models:/<id>`` names no logged model of the store (exit 2).
        ModelUnavailableError: missing or corrupted artifacts, or not an orecast model.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    try:
        model = mlflow.pyfunc.load_model(ref.load_uri)
        inner = model.unwrap_python_model()
    except ModelUnavailableError:
        raise
    except MlflowException as exc:
        if (ref.name is None and ref.uri.startswith("models:/")
                and getattr(exc, "error_code", "") == "RESOURCE_DOES_NOT_EXIST"):
            # models:/<id> names a logged model; the store answered that it has none (a
            # registered name without @ALIAS or /VERSION lands here too).
            raise RegisteredModelNotFound(_no_logged_model(ref.uri)) from None
        raise _cannot_load(ref, exc) from None
    except Exception as exc:  # noqa: BLE001 - any load failure means "unavailable"
        raise _cannot_load(ref, exc) from None
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
