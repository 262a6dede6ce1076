"""What a training job writes to MLflow: experiments, params, child runs, the refitted model.

One child run per model family carries its backtest scores (annual scores as metric series,
step = months known), its per-origin table, its declined origins and its figures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.core.errors import ModelDeclined, ModelUnavailableError
from models.core.pipeline import fit_model
from training.backtest import BacktestResult
from training.metrics import coverage_pct
from training.scoring import GUIDANCE
from training.spec import ModelSpec, fitted_summary
from training.tracking import log_table_csv

ANNUAL_STEP_METRICS = ("annual_ape", "annual_crps", "annual_cover50", "annual_cover80",
                       "annual_cover90")
#: metrics logged in percent (the backtest tables hold them as shares): one unit for every
#: rate, as ``annual_ape`` is a percent of the actual
COVERAGE_METRICS = ("annual_cover50", "annual_cover80", "annual_cover90")


def log_candidate_run(result: BacktestResult, model: str, spec: ModelSpec, parent_tags: dict,
               figures: bool) -> str:
    """One nested run for ``model``: its backtest metrics, tables and figures; its run id."""
    import mlflow
    from matplotlib.figure import Figure
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    from training.figures import annual_error_figure, coverage_figure
    from training.scoring import summarise

    po = result.per_origin
    mine = po.loc[po["model"] == model]
    # The parent's experiment, explicitly: no global active experiment is set.
    experiment_id = mlflow.active_run().info.experiment_id
    with mlflow.start_run(run_name=model, nested=True, experiment_id=experiment_id) as child:
        mlflow.set_tags({**parent_tags, "orecast.role": "candidate", "orecast.model": model})
        mlflow.log_params({"model": model, "spec_digest": spec.digest[:12],
                           **{f"param.{k}": v for k, v in spec.params.items()}})
        ok = mine.loc[mine["status"] == "ok"]
        summary = result.summary.loc[result.summary["model"] == model]
        now = int(time.time() * 1000)
        batch = []
        for row in summary.itertuples(index=False):
            if row.n_origins == 0:
                continue
            for name in ANNUAL_STEP_METRICS:
                value = float(getattr(row, name))
                if name in COVERAGE_METRICS:
                    value *= 100.0  # the table's share, logged in percent like annual_ape
                if math.isfinite(value):
                    batch.append(Metric(name, value, now, int(row.months_known)))
        totals = {"n_origins_ok": float(len(ok)), "n_origins_declined": float(len(mine) - len(ok))}
        for name in ("annual_ape", "annual_crps", "monthly_mae", "monthly_crps"):
            v = ok[name].astype(float)
            if v.notna().any():
                totals[f"mean_{name}"] = float(v.mean())
        for lv in (50, 80, 90):
            v = ok[f"annual_cover{lv}"].astype(float)
            if v.notna().any():
                # The per-step series is annual_cover{lv}; its mean over origins is this.
                totals[f"mean_annual_cover{lv}"] = coverage_pct(v.to_numpy())
        batch += [Metric(k, v, now, 0) for k, v in totals.items()]
        # One request for all metrics: a metric per call costs a round trip (or commit) each.
        MlflowClient().log_batch(child.info.run_id, metrics=batch)
        log_table_csv(mine, "backtest/per_origin.csv")
        declined = mine.loc[mine["status"] != "ok", ["as_of", "reason"]]
        if len(declined):
            mlflow.log_text(declined.to_csv(index=False, lineterminator="\n"),
                            "backtest/declined.csv")
            mlflow.set_tag("orecast.declined_reason", str(declined["reason"].iloc[-1])[:500])
        if len(ok) and figures:
            with_guidance = po.loc[po["model"].isin([model, GUIDANCE])]
            figs: dict[str, Figure] = {
                "annual_error_by_months_known": annual_error_figure(summarise(with_guidance)),
                "interval_coverage": coverage_figure(with_guidance)}
            for stem, fig in figs.items():
                mlflow.log_figure(fig, f"figures/{stem}.png")
        return child.info.run_id


def log_params_once(run_id: str, params: Mapping[str, Any]) -> None:
    """Log params; inside ``mlflow run`` the project already logged its own parameters, and
    MLflow refuses to change a param, so a clashing value goes under ``orecast.<key>``."""
    import mlflow

    existing = mlflow.get_run(run_id).data.params
    out = {}
    for key, value in params.items():
        if key in existing and existing[key] != str(value):
            key = f"orecast.{key}"
        if existing.get(key) != str(value):
            out[key] = value
    mlflow.log_params(out)


def log_refitted_model(spec: ModelSpec, history: pd.DataFrame, periods: pd.DataFrame | None,
                       workdir: Path, seed: int) -> Any:
    """Refit the selected spec on all data (fitted state logged as JSON), then log the pyfunc.

    The fitted state documents what the procedure learns from the full history and checks
    that it produces finite, non-negative paths; the served model refits at predict time on
    the history it is given (cut at as-of).
    """
    import mlflow

    from models.data.digest import periods_text
    from training.serving import log_forecast_model

    model = spec.build()
    try:
        fit_model(model, history, periods=periods)
    except ModelDeclined as exc:
        raise ModelUnavailableError(f"{spec.label}: cannot be refitted on all data: {exc}"
                                    ) from None
    paths = model.sample_paths(12, 500, seed)
    if not (np.all(np.isfinite(paths)) and np.all(paths >= 0)):
        raise ModelUnavailableError(f"{spec.label}: refit on all data gives invalid paths")
    summary = fitted_summary(model)
    summary["check"] = {"horizon_months": 12, "n_paths": 500, "seed": seed,
                        "mean_next12_oz": float(paths.sum(axis=1).mean()),
                        "last_month": str(history[TARGET].last_valid_index())}
    mlflow.log_dict(summary, "refit/fitted_summary.json")
    mlflow.log_dict(spec.to_dict(), "refit/spec.json")
    # The input example is a real request: the history with its period totals.
    return log_forecast_model(spec, history, workdir, example_params={
        "n_paths": 200, "periods": periods_text(periods)})
