"""The model zoo: every model by its command-line name, imported on first use."""

from __future__ import annotations

import importlib
from typing import Any

from models.base import ForecastModel
from models.errors import UsageError

# name -> "module:Class". Listed simplest first: selection breaks ties toward earlier names.
_ZOO: dict[str, str] = {
    "naive": "models.naive:Naive",
    "seasonal_naive": "models.seasonal_naive:SeasonalNaive",
    "drift": "models.drift:Drift",
    "share_runrate": "models.share_runrate:SeasonalShareRunRate",
    "ses": "models.fast_smoothing:SES",
    "theta_ses": "models.fast_smoothing:ThetaSES",
    "damped": "models.fast_smoothing:Damped",
    "damped_mapa": "models.temporal_aggregation:DampedMAPA",
    "dotm": "models.optimised_theta:DynamicOptimisedTheta",
    "ets": "models.ets:ETS",
    "theta": "models.theta:Theta",
    "sarimax": "models.sarimax:SarimaxExog",
    "state_space": "models.state_space:StateSpace",
    "gbm": "models.gbm:GradientBoosting",
    "metallurgical": "models.metallurgical:Metallurgical",
    "ensemble": "models.ensemble:Ensemble",
    "auto": "models.auto:Auto",
}


def model_names() -> list[str]:
    """Names of every model in the zoo, simplest first."""
    return list(_ZOO)


def model_class(name: str) -> type[ForecastModel]:
    """The class registered under ``name``.

    Raises:
        UsageError: unknown name (lists the known ones).
    """
    try:
        target = _ZOO[name]
    except KeyError:
        raise UsageError(f"--model: unknown model {name!r}; expected one of "
                         f"{', '.join(_ZOO)}") from None
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def make_model(name: str, *, season_length: int | None = None, **params: Any) -> ForecastModel:
    """An unfitted model of the zoo, with ``params`` passed to its constructor.

    ``season_length`` (months) is passed too when the model takes one and ``params`` does
    not set it; models without a season ignore it.
    """
    cls = model_class(name)
    if season_length is not None and "season_length" in cls._param_names():
        params.setdefault("season_length", season_length)
    return cls(**params)
