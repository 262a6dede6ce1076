"""The registered model's spec: a zoo name, its constructor params and where it came from.

What the registry holds is a forecasting *procedure*, not a fitted object: the zoo model
selected by the backtest plus its keyword arguments. At predict time the procedure is
fitted on the history it is given, cut at the as-of month, exactly as the backtest fitted it
at each origin, so the backtest accuracy is the accuracy of what is served. The spec is a
small JSON document (no pickle); ``provenance`` records the data digest, the backtest
metric and the package version, and never affects the forecast.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.errors import ModelUnavailableError, UsageError
from models.zoo import make_model, model_names

SPEC_FORMAT = "orecast-model-spec/1"


def _jsonable(value: Any) -> Any:
    """A JSON-native copy of ``value`` (numpy scalars and arrays, tuples, Periods)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_ | bool):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, pd.Period | pd.Timestamp):
        return str(value)
    if value is None or isinstance(value, str | int):
        return value
    raise TypeError(f"cannot store {type(value).__name__} in a model spec")


def canonical_json(obj: Any) -> str:
    """Sorted-key, compact JSON: the same object gives the same text (and digest)."""
    return json.dumps(_jsonable(obj), sort_keys=True, separators=(",", ":"), allow_nan=False)


@dataclass(frozen=True)
class ModelSpec:
    """A forecasting procedure: zoo model ``name`` with constructor ``params``.

    Attributes:
        name: zoo name (``models.zoo.model_names()``).
        params: constructor keyword arguments, JSON-native values.
        provenance: free-form JSON facts about how the spec was chosen (data digest,
            backtest metric and score, origins, package version); not part of ``digest``.
    """

    name: str
    params: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_model(cls, model: ForecastModel, **provenance: Any) -> ModelSpec:
        """The spec of an (unfitted or fitted) zoo model: its name and ``get_params()``."""
        return cls(model.name, _jsonable(model.get_params()), _jsonable(provenance))

    @classmethod
    def for_name(cls, name: str, params: dict[str, Any] | None = None,
                 **provenance: Any) -> ModelSpec:
        """The spec of zoo model ``name`` with ``params`` merged over its defaults.

        Raises:
            UsageError: unknown zoo name.
        """
        model = make_model(name, **(params or {}))
        return cls.from_model(model, **provenance)

    def build(self) -> ForecastModel:
        """An unfitted zoo model of this spec.

        Raises:
            ModelUnavailableError: the name is not in this package's zoo, or the params do
                not fit the model's constructor.
        """
        if self.name not in model_names():
            raise ModelUnavailableError(
                f"model spec: name: expected one of {', '.join(model_names())}, "
                f"found {self.name!r}")
        try:
            return make_model(self.name, **self.params)
        except (TypeError, UsageError) as exc:
            raise ModelUnavailableError(f"model spec: params of {self.name}: {exc}") from None

    @property
    def digest(self) -> str:
        """sha256 of the procedure (name + params, canonical JSON); provenance excluded."""
        text = canonical_json({"name": self.name, "params": self.params})
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def label(self) -> str:
        """Short identity of the procedure, e.g. ``ets@1a2b3c4d5e6f``."""
        return f"{self.name}@{self.digest[:12]}"

    def same_procedure(self, other: ModelSpec) -> bool:
        """True when both specs build the same model (same name and params)."""
        return self.digest == other.digest

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: ``format, name, params, provenance``."""
        return {"format": SPEC_FORMAT, "name": self.name, "params": _jsonable(self.params),
                "provenance": _jsonable(self.provenance)}

    def to_json(self) -> str:
        """Indented, sorted-key JSON text of ``to_dict()`` (byte-stable)."""
        return json.dumps(self.to_dict(), sort_keys=True, indent=2, allow_nan=False) + "\n"

    def save(self, path: str | Path) -> Path:
        """Write the JSON document to ``path``; returns the path."""
        p = Path(path)
        p.write_text(self.to_json(), encoding="utf-8")
        return p

    @classmethod
    def from_dict(cls, doc: Any, source: str = "<spec>") -> ModelSpec:
        """Parse a spec document.

        Raises:
            ModelUnavailableError: not a spec document (missing or mistyped field).
        """
        if not isinstance(doc, dict) or doc.get("format") != SPEC_FORMAT:
            raise ModelUnavailableError(f"{source}: format: expected {SPEC_FORMAT!r}")
        name, params = doc.get("name"), doc.get("params", {})
        if not isinstance(name, str) or not name:
            raise ModelUnavailableError(f"{source}: name: expected a zoo model name")
        if not isinstance(params, dict):
            raise ModelUnavailableError(f"{source}: params: expected a JSON object")
        provenance = doc.get("provenance") or {}
        return cls(name, dict(params), dict(provenance) if isinstance(provenance, dict) else {})

    @classmethod
    def load(cls, path: str | Path) -> ModelSpec:
        """Read a spec JSON file.

        Raises:
            ModelUnavailableError: missing, unreadable or malformed file (exit 3).
        """
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelUnavailableError(f"{p}: expected a model spec file, found none") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ModelUnavailableError(f"{p}: expected a JSON model spec ({exc})") from None
        return cls.from_dict(doc, str(p))


def fitted_summary(model: ForecastModel) -> dict[str, Any]:
    """What a fitted model learned, as JSON: learned scalars, small arrays and sub-results.

    Reads the ``*_`` attributes of the scikit-learn convention. A statsmodels results object
    contributes its named parameters (``model.param_names`` -> ``params``) and its
    information criteria; other objects are named by type only.

    Args:
        model: a fitted zoo model.
    Returns:
        ``{"name", "params", "fitted": {attribute: value}}``; arrays of at most 240 values
        (oz, or the unit of the attribute), larger arrays as shape and mean.
    """
    fitted: dict[str, Any] = {}
    for key in sorted(vars(model)):
        if not key.endswith("_") or key.startswith("_"):
            continue
        value = getattr(model, key)
        try:
            if isinstance(value, np.ndarray) and value.size > 240:
                fitted[key] = {"shape": list(value.shape),
                               "mean": _jsonable(float(np.nanmean(value)))}
            else:
                fitted[key] = _jsonable(value)
            continue
        except TypeError:
            pass
        params = getattr(value, "params", None)
        names = getattr(getattr(value, "model", None), "param_names", None)
        if params is not None and names is not None:
            entry: dict[str, Any] = {"type": type(value).__name__,
                                     "params": {str(n): _jsonable(float(v))
                                                for n, v in zip(names, np.asarray(params),
                                                                strict=False)}}
            for ic in ("aic", "aicc", "bic"):
                if hasattr(value, ic):
                    try:
                        entry[ic] = _jsonable(float(getattr(value, ic)))
                    except (TypeError, ValueError):
                        pass
            fitted[key] = entry
        else:
            fitted[key] = {"type": type(value).__name__}
    return {"name": model.name, "params": _jsonable(model.get_params()), "fitted": fitted}
