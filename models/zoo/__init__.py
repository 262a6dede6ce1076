"""The model zoo: every model by its command-line name (imported on first use), and the
fallback ladder of a series whose model fails."""

from __future__ import annotations

import importlib
from typing import Any

from models.core.base import ForecastModel
from models.core.errors import UsageError

# name -> "module:Class". Listed simplest first: selection breaks ties toward earlier names.
_ZOO: dict[str, str] = {
    "naive": "models.zoo.naive:Naive",
    "seasonal_naive": "models.zoo.seasonal_naive:SeasonalNaive",
    "drift": "models.zoo.drift:Drift",
    "share_runrate": "models.zoo.share_runrate:SeasonalShareRunRate",
    "ses": "models.zoo.smoothing:SES",
    "theta_ses": "models.zoo.theta:ThetaSES",
    "damped": "models.zoo.smoothing:Damped",
    "damped_mapa": "models.zoo.smoothing:DampedMAPA",
    "dotm": "models.zoo.theta:DynamicOptimisedTheta",
    "ets": "models.zoo.ets:ETS",
    "theta": "models.zoo.theta:Theta",
    "arima": "models.zoo.arima:AutoARIMA",
    "sarimax": "models.zoo.sarimax:SarimaxExog",
    "state_space": "models.zoo.state_space:StateSpace",
    "gbm": "models.zoo.gbm:GradientBoosting",
    "metallurgical": "models.zoo.metallurgical:Metallurgical",
    "ensemble": "models.zoo.ensemble:Ensemble",
    "auto": "models.zoo.auto:Auto",
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
        raise UsageError(f"unknown model {name!r}; expected one of "
                         f"{', '.join(_ZOO)}", option="model") from None
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


def fallback_ladder(season_length: int = 12) -> list[ForecastModel]:
    """Unfitted models to try in turn when a series' own model fails, simplest last:
    seasonal naive with ``season_length`` (months), then naive."""
    return [make_model("seasonal_naive", season_length=season_length), make_model("naive")]
