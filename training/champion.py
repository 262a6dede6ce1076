"""The current champion against the new pick: scored on the same origins of the same job."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from models.core.errors import ModelUnavailableError
from models.data.inputs import Inputs
from training.backtest import BacktestConfig, BacktestResult, run_backtest
from training.registry import AliasDecision, champion_version, decide_alias, version_spec
from training.spec import ModelSpec

log = logging.getLogger("training.train")


def scores_by_origin(per_origin: pd.DataFrame, model: str, metric: str) -> pd.Series:
    """``metric`` of ``model`` at its ok origins with a finite score, indexed by (year, as_of)."""
    rows = per_origin.loc[(per_origin["model"] == model) & (per_origin["status"] == "ok")]
    s = rows.set_index(["year", "as_of"])[metric].astype(float)
    return s[np.isfinite(s.to_numpy())]


def compare_on_common_origins(new: pd.Series, champion: pd.Series) -> tuple[float, float, int]:
    """Mean scores of two models over the origins both forecast (lower is better).

    Returns:
        (new mean, champion mean, number of common origins); the champion's mean is NaN
        when there is no common origin.
    """
    common = new.index.intersection(champion.index)
    if len(common) == 0:
        return float(new.mean()) if len(new) else math.nan, math.nan, 0
    return float(new.loc[common].mean()), float(champion.loc[common].mean()), len(common)


def champion_scores(name: str, data: Inputs, years: Sequence[int],
                    candidates: Mapping[str, ModelSpec], result: BacktestResult, metric: str,
                    config: BacktestConfig) -> tuple[ModelSpec | None, pd.Series | None, Any]:
    """The current champion's spec and its scores on this job's origins (None if no champion)."""
    mv = champion_version(name)
    if mv is None:
        return None, None, None
    try:
        spec = version_spec(name, mv.version)
        spec.build()
    except ModelUnavailableError as exc:
        log.warning("train: champion %s v%s cannot be rebuilt (%s); it cannot be compared",
                    name, mv.version, exc)
        return None, pd.Series(dtype=float), mv
    same = [m for m, s in candidates.items() if s.same_procedure(spec)]
    if same:
        return spec, scores_by_origin(result.per_origin, same[0], metric), mv
    log.info("train: backtesting champion %s v%s (%s) on this job's origins", name, mv.version,
             spec.label)
    champ = run_backtest(data.history, [spec.name], years, periods=data.periods,
                         guidance=data.guidance, model_params={spec.name: spec.params},
                         config=replace(config, progress=False))
    return spec, scores_by_origin(champ.per_origin, spec.name, metric), mv


def against_champion(name: str, best: str, data: Inputs, years: Sequence[int],
                     candidates: Mapping[str, ModelSpec], result: BacktestResult, metric: str,
                     config: BacktestConfig) -> tuple[AliasDecision, ModelSpec | None, Any]:
    """The alias the new pick ``best`` earns against the current champion of ``name``.

    Returns:
        (the decision, the champion's spec or None, the champion's model version or None).
    """
    champ_spec, champ_scores, champ_mv = champion_scores(name, data, years, candidates,
                                                         result, metric, config)
    best_scores = scores_by_origin(result.per_origin, best, metric)
    if champ_scores is None:
        new_mean, champ_mean, n_common = float(best_scores.mean()), None, len(best_scores)
    else:
        new_mean, champ_mean, n_common = compare_on_common_origins(best_scores, champ_scores)
    return decide_alias(metric, new_mean, champ_mean, n_common), champ_spec, champ_mv
