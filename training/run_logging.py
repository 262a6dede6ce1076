"""What a training job writes to MLflow besides the model: experiments, params, child runs.

One child run per model family carries its backtest scores (annual scores as metric series,
step = months known), its per-origin table, its declined origins and its figures.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

from models.core.errors import UsageError
from training.backtest import GUIDANCE, BacktestResult
from training.spec import ModelSpec
from training.tracking import log_table_csv

ANNUAL_STEP_METRICS = ("annual_ape", "annual_crps", "annual_cover50", "annual_cover80",
                       "annual_cover90")


def log_candidate_run(result: BacktestResult, model: str, spec: ModelSpec, parent_tags: dict,
               figures: bool) -> str:
    """One nested run for ``model``: its backtest metrics, tables and figures; its run id."""
    import mlflow
    from matplotlib.figure import Figure
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    from training.backtest import summarise
    from training.figures import annual_error_figure, coverage_figure

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
                totals[f"mean_annual_cover{lv}"] = float(v.mean())
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


def ensure_experiment(name: str) -> str:
    """Id of experiment ``name``, created if needed (no global "active experiment" is set).

    Raises:
        UsageError: the experiment exists but was deleted.
    """
    from mlflow import MlflowClient

    client = MlflowClient()
    exp = client.get_experiment_by_name(name)
    if exp is None:
        return client.create_experiment(name)
    if exp.lifecycle_stage != "active":
        raise UsageError(f"--experiment: {name!r} was deleted; expected an active experiment "
                         f"(restore it or choose another name)")
    return exp.experiment_id


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
