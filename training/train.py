"""A tracked training job: backtest the zoo, select a model, log it as pyfunc, register it.

One parent MLflow run per job (params, provenance tags, the input dataset, the selection
tables, the leave-one-year-out expectation and the backtest figures) and one nested child
run per candidate (its backtest metrics, per-origin table and figures). Metric
``annual_ape`` (and the other annual scores) are logged with ``step = months known``.

The backtest covers every year with evidence (``training.backtest``); the candidates are
the single models and two combinations of them, the equal-weight mixture and the skill
mixture (``training.combination``). The equal mixture is served unless a candidate wins
across years by the rule of ``training.selection.choose_procedure``. The chosen procedure
is refitted on all data (its fitted state logged as JSON), logged as a models-from-code
pyfunc, and registered last. The new version becomes ``champion`` only if it beats the
current champion's spec backtested on the same origins in the same job; otherwise it
becomes ``challenger``.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.core.errors import (
    ModelDeclined,
    ModelUnavailableError,
    TrackingUnavailableError,
)
from models.core.pipeline import fit_model
from models.core.version import orecast_version
from models.core.year import data_span
from models.data.periods import check_consistency
from models.zoo import model_names
from training.backtest import (
    GUIDANCE,
    BacktestResult,
    origins_for,
    run_backtest,
)
from training.combination import EQUAL, SKILL, add_combinations, member_names
from training.loyo import expectation_table, leave_one_year_out
from training.registry import (
    DEFAULT_NAME,
    AliasDecision,
    champion_version,
    decide_alias,
    register,
    version_spec,
)
from training.run_logging import ensure_experiment, log_candidate_run, log_params_once
from training.selection import MIN_YEARS, ProcedureChoice, choose_procedure
from training.spec import ModelSpec, fitted_summary
from training.tracking import (
    bound_http_retries,
    check_tracking,
    data_digest,
    log_history_dataset,
    log_table_csv,
    provenance_tags,
    resolve_tracking_uri,
    tracking_uri,
)

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "orecast"
#: zoo names that are not backtest candidates by default: the equal mixture's rows are
#: formed from the members' own backtest paths (``training.combination``)
NOT_CANDIDATES = ("ensemble",)


@dataclass
class TrainingData:
    """What a job trains on.

    Attributes:
        history: production frame (monthly PeriodIndex, ``gold_oz`` oz).
        periods: period totals (None when the data has none).
        guidance: guidance announcements (None when none).
        name: dataset name logged to MLflow.
        source: where the data came from (file path or the embedded dataset).
    """

    history: pd.DataFrame
    periods: pd.DataFrame | None
    guidance: pd.DataFrame | None
    name: str
    source: str


@dataclass
class TrainResult:
    """Outcome of ``train``.

    Attributes:
        tracking_uri: the store used.
        experiment_id: MLflow experiment of the runs.
        parent_run_id: the job's run.
        child_run_ids: {model name: its child run id}.
        backtest: the candidates' backtest, with the combinations' rows.
        selection: the procedure choice (best name, the rule, the year-by-year table).
        spec: the selected procedure (name + params + provenance).
        model_uri: URI of the logged pyfunc (``models:/<model id>``).
        data_sha256: digest of the training data.
        registered_name: registry name, or None when not registering.
        version: the new version number, or None.
        decision: the alias decision (champion / challenger and why), or None.
    """

    tracking_uri: str
    experiment_id: str
    parent_run_id: str
    child_run_ids: dict[str, str]
    backtest: BacktestResult
    selection: ProcedureChoice
    spec: ModelSpec
    model_uri: str
    data_sha256: str
    registered_name: str | None = None
    version: str | None = None
    decision: AliasDecision | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    expectation: pd.DataFrame | None = None

    @property
    def alias(self) -> str | None:
        """``champion`` or ``challenger`` (None when not registered)."""
        return self.decision.alias if self.decision else None


def load_training_data(data: str | Path | pd.DataFrame | None = None, *,
                       periods: pd.DataFrame | None = None,
                       guidance: pd.DataFrame | None = None) -> TrainingData:
    """The job's data: the embedded Dynacor dataset by default, a production file, or a frame.

    Args:
        data: None (embedded dataset, with its periods and guidance; with ``periods`` and no
            data, the period totals alone: a quarterly reporter), a CSV/Parquet path, or
            a validated production frame.
        periods, guidance: override / supply period totals and guidance.
    Raises:
        DataValidationError: the file is not a valid production history.
    """
    if data is None and periods is not None:
        from models.data.periods import months_frame

        # The period totals are the plant: a quarterly reporter with no monthly figure.
        source = str(periods.attrs.get("source", "<periods>"))
        return TrainingData(months_frame(periods), periods, guidance, "periods", source)
    if data is None:
        from models.data.datasets import dynacor

        ds = dynacor()
        return TrainingData(ds.monthly, ds.periods if periods is None else periods,
                            ds.guidance if guidance is None else guidance, ds.name,
                            str(ds.monthly.attrs.get("source", ds.name)))
    if isinstance(data, pd.DataFrame):
        source = str(data.attrs.get("source", "<memory>"))
        return TrainingData(data, periods, guidance, "history", source)
    from models.data.tables import load_production

    history = load_production(data)
    return TrainingData(history, periods, guidance, Path(data).stem, str(data))


def available_models() -> list[str]:
    """The default candidates of a training job: every zoo name but ``NOT_CANDIDATES``."""
    return [m for m in model_names() if m not in NOT_CANDIDATES]


def candidate_names(models: Sequence[str] | None) -> list[str]:
    """The models a job backtests: ``models`` (default ``available_models()``) without the
    equal mixture, which is always a candidate formed from the others' paths."""
    names = list(models) if models else available_models()
    if set(names) & set(NOT_CANDIDATES):
        log.info("%s is formed from the other candidates, not backtested itself",
                 ", ".join(sorted(set(names) & set(NOT_CANDIDATES))))
        names = [m for m in names if m not in NOT_CANDIDATES] or available_models()
    return names


def evidence_years(history: pd.DataFrame, periods: pd.DataFrame | None) -> list[int]:
    """Target years a backtest can draw on: every year after the data's first one.

    The backtest itself skips the origins of those years where the output was not known.
    """
    first, last = data_span(history, periods)
    return list(range(first.year + 1, last.year + 1))


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


def _champion_scores(name: str, data: TrainingData, years: Sequence[int],
                     candidates: Mapping[str, ModelSpec], result: BacktestResult,
                     metric: str, backtest_kw: dict) -> tuple[ModelSpec | None, pd.Series | None,
                                                             Any]:
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
    champ = run_backtest(data.history, [spec.name], years, model_params={spec.name: spec.params},
                         **backtest_kw)
    return spec, scores_by_origin(champ.per_origin, spec.name, metric), mv


def train(data: str | Path | pd.DataFrame | None = None, *, models: Sequence[str] | None = None,
          years: Sequence[int] | None = None, experiment: str = DEFAULT_EXPERIMENT,
          register_as: str | None = DEFAULT_NAME, tracking: str | None = None,
          n_paths: int = 1000, seed: int = 0, metric: str = "annual_crps",
          monthly_h: int = 3, n_jobs: int = 1, model_params: Mapping[str, dict] | None = None,
          periods: pd.DataFrame | None = None, guidance: pd.DataFrame | None = None,
          figures: bool = True, progress: bool = False) -> TrainResult:
    """Run one tracked training job (see the module docstring).

    Args:
        data: None (embedded Dynacor data), a production CSV/Parquet path, or a frame.
        models: zoo names to backtest (default: ``available_models()``).
        years: target years of the rolling-origin backtest (origins Dec Y-1 .. Nov Y);
            default ``evidence_years``: every year of the data with a year before it.
        experiment: MLflow experiment name (ignored inside ``mlflow run``, which owns the run).
        register_as: registered model name, or None to log without registering.
        tracking: tracking URI (default ``MLFLOW_TRACKING_URI`` or MLflow's default).
        n_paths: sample paths per backtest forecast.
        seed: base seed (same data + seed -> same metrics and forecasts).
        metric: selection loss (``annual_crps`` in oz by default; lower is better).
        monthly_h: months after each origin scored month by month.
        n_jobs: backtest worker processes.
        model_params: {model name: constructor params}.
        periods, guidance: override the data's period totals / guidance.
        figures: log the backtest figures (parent and child runs); rendering them is the
            slowest part of logging.
        progress: show a progress bar over the backtest fits.
    Returns:
        TrainResult.
    Raises:
        TrackingUnavailableError: the tracking store cannot be reached (exit 3); nothing is
            registered in that case.
        DataValidationError, UsageError: bad data, unknown model or metric.
    """
    uri = resolve_tracking_uri(tracking)
    bound_http_retries()
    check_tracking(uri)
    data_ = load_training_data(data, periods=periods, guidance=guidance)
    check_consistency(data_.history, data_.periods)
    names = candidate_names(models)
    candidates = {m: ModelSpec.for_name(m, (model_params or {}).get(m)) for m in names}
    target_years = list(years) if years else evidence_years(data_.history, data_.periods)
    try:
        with tracking_uri(uri):
            return _train(uri, data_, candidates, target_years, experiment, register_as,
                          n_paths=n_paths, seed=seed, metric=metric, monthly_h=monthly_h,
                          n_jobs=n_jobs, figures=figures, progress=progress)
    except TrackingUnavailableError:
        raise
    except Exception as exc:
        from mlflow.exceptions import MlflowException

        if isinstance(exc, MlflowException | OSError) or _from_transport(exc):
            try:
                check_tracking(uri, attempts=1)
            except TrackingUnavailableError as down:
                raise down from exc
            # The server answers its health check but not the job's requests (timeouts,
            # repeated 5xx) or the artifact store refuses writes: still "tracking
            # unavailable" for the scheduler, not a bug. The data was loaded before this
            # block, so an OSError here comes from the store.
            if isinstance(exc, OSError) or _from_transport(exc):
                raise TrackingUnavailableError(
                    f"{uri}: tracking or artifact store failed during training: "
                    f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
                ) from exc
        raise


def _from_transport(exc: BaseException) -> bool:
    """True when ``exc`` or its causes is an HTTP transport failure (timeout, refused, 5xx)."""
    import requests

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, requests.exceptions.RequestException | OSError):
            return True
        text = str(seen)
        if "Max retries exceeded" in text or "Read timed out" in text:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _train(uri: str, data: TrainingData, candidates: dict[str, ModelSpec], years: list[int],
           experiment: str, register_as: str | None, *, n_paths: int, seed: int, metric: str,
           monthly_h: int, n_jobs: int, figures: bool, progress: bool) -> TrainResult:
    import mlflow

    history = data.history
    digest = data_digest(history)
    origins = origins_for(years, history, periods=data.periods)
    backtest_kw = {"periods": data.periods, "guidance": data.guidance, "n_paths": n_paths,
                   "seed": seed, "monthly_h": monthly_h, "n_jobs": n_jobs}
    # Inside ``mlflow run`` the project owns the run (MLFLOW_RUN_ID) and its experiment.
    experiment_id = None if os.environ.get("MLFLOW_RUN_ID") else ensure_experiment(experiment)
    tags = provenance_tags()
    with mlflow.start_run(run_name="train", experiment_id=experiment_id) as parent:
        mlflow.set_tags({**tags, "orecast.role": "training", "data.name": data.name})
        log_params_once(parent.info.run_id, {
            "models": ",".join(candidates), "years": ",".join(map(str, years)),
            "n_origins": len(origins),
            "origins": ",".join(str(o) for o in origins)[:6000] or "-",
            "n_paths": n_paths, "seed": seed, "selection_metric": metric,
            "monthly_h": monthly_h, "data_source": data.source,
            "register_as": register_as or "-"})
        log_history_dataset(history, name=data.name, source=data.source)

        result = run_backtest(history, list(candidates), years,
                              model_params={m: s.params for m, s in candidates.items()},
                              progress=progress, **backtest_kw)
        result, weights = add_combinations(result, history, monthly_h, metric)
        # The mixtures served are those scored: over the members this job backtested.
        members = member_names(result)
        candidates = {**candidates,
                      EQUAL: ModelSpec.for_name("ensemble", {"members": members}),
                      SKILL: ModelSpec.for_name("ensemble", {"members": members,
                                                             "weights": weights})}
        child_ids = {m: log_candidate_run(result, m, candidates[m], tags, figures)
                     for m in candidates}
        log_table_csv(result.summary, "backtest/summary.csv")
        log_table_csv(result.per_origin, "backtest/per_origin.csv")
        g = scores_by_origin(result.per_origin, GUIDANCE, metric)
        if len(g):
            mlflow.log_metric(f"guidance_mean_{metric}", float(g.mean()))

        selection = choose_procedure(result, EQUAL, metric)
        if figures:
            for stem, fig in result.figures(selection.best).items():
                mlflow.log_figure(fig, f"figures/{stem}.png")
        log.info("train: %s chosen on %d years of evidence (%s)", selection.best,
                 len(selection.years), selection.rule)
        log_table_csv(selection.table, "selection/procedure.csv")
        best = selection.best
        best_scores = scores_by_origin(result.per_origin, best, metric)
        score = float(best_scores.mean())
        held, folds = leave_one_year_out(result, history, monthly_h, metric)
        expectation = expectation_table(result, held)
        log_table_csv(expectation, "evaluation/leave_one_year_out.csv")
        log_table_csv(folds, "evaluation/folds.csv")
        evidence = _evidence(result, selection, best, metric)
        spec = ModelSpec(candidates[best].name, candidates[best].params, {
            "data_name": data.name, "data_sha256": digest, "data_source": data.source,
            "selection_metric": metric, "selection_score": score,
            "origins": [str(o) for o in origins], "n_paths": n_paths, "seed": seed,
            "candidates": list(candidates), "orecast_version": orecast_version(),
            "git_commit": tags.get("orecast.git_commit"), "parent_run_id": parent.info.run_id,
            "evidence": evidence})
        mlflow.log_dict(evidence, "selection/evidence.json")
        mlflow.set_tags({"orecast.selected": best, "orecast.spec": spec.label,
                         "orecast.rule": selection.rule[:500],
                         "orecast.evidence_years": ",".join(map(str, selection.years))})
        mlflow.log_metric(f"selected_mean_{metric}", score)
        proc = held.loc[held["status"] == "ok"]
        if len(proc):
            mlflow.log_metrics({"expected_annual_ape": float(proc["annual_ape"].mean()),
                                "expected_annual_crps": float(proc["annual_crps"].mean()),
                                "expected_annual_cover80": float(
                                    proc["annual_cover80"].astype(float).mean())})
        if len(selection.years) < MIN_YEARS:
            log.warning("train: the choice rests on %d year(s) of evidence (%s); the rule "
                        "needs %d years before a single model can replace the equal mixture",
                        len(selection.years), ", ".join(map(str, selection.years)) or "none",
                        MIN_YEARS)

        decision = None
        champ_mv = None
        if register_as:
            champ_spec, champ_scores, champ_mv = _champion_scores(
                register_as, data, years, candidates, result, metric, backtest_kw)
            best_scores = scores_by_origin(result.per_origin, best, metric)
            if champ_scores is None:
                new_mean, champ_mean, n_common = float(best_scores.mean()), None, len(best_scores)
            else:
                new_mean, champ_mean, n_common = compare_on_common_origins(best_scores,
                                                                           champ_scores)
            decision = decide_alias(metric, new_mean, champ_mean, n_common)
            mlflow.set_tags({"orecast.alias_decision": decision.alias,
                             "orecast.alias_reason": decision.reason[:500]})
            mlflow.log_metric(f"compared_mean_{metric}", new_mean)
            if champ_mean is not None and math.isfinite(champ_mean):
                mlflow.log_metric(f"champion_mean_{metric}", champ_mean)
            if champ_spec is not None:
                mlflow.set_tag("orecast.champion_spec", champ_spec.label)

        with tempfile.TemporaryDirectory() as tmp:
            model_info = _refit_and_log(spec, data, Path(tmp), seed)

        version = None
        if register_as and decision is not None:
            version_tags = {
                "metric": metric, metric: score, f"compared_{metric}": decision.score,
                "n_origins_compared": decision.n_origins, "data_sha256": digest,
                "data_name": data.name, "model": spec.name, "candidate": best,
                "spec": spec.label, "evidence_years": ",".join(map(str, selection.years)),
                "rule_decision": best,
                "origins": ",".join(str(o) for o in origins)[:4000],
                "n_paths": n_paths, "seed": seed, "parent_run_id": parent.info.run_id,
                "orecast_version": orecast_version()}
            for col in ("annual_ape", "annual_cover80"):
                v = scores_by_origin(result.per_origin, best, col)
                if len(v):
                    version_tags[f"mean_{col}"] = float(v.mean())
                if len(proc):
                    version_tags[f"expected_{col}"] = float(proc[col].astype(float).mean())
            if decision.champion_score is not None:
                version_tags[f"champion_{metric}"] = decision.champion_score
                version_tags["champion_version"] = champ_mv.version if champ_mv else "-"
            mv = register(model_info.model_uri, register_as, decision.alias, version_tags)
            version = str(mv.version)
            mlflow.set_tags({"orecast.registered": f"{register_as}/{version}",
                             "orecast.alias": decision.alias})
        experiment_id = parent.info.experiment_id
        parent_id = parent.info.run_id
    return TrainResult(tracking_uri=uri, experiment_id=experiment_id, parent_run_id=parent_id,
                       child_run_ids=child_ids, backtest=result, selection=selection, spec=spec,
                       model_uri=model_info.model_uri, data_sha256=digest,
                       registered_name=register_as if version else None, version=version,
                       decision=decision, metrics={metric: score}, expectation=expectation)


def _evidence(result: BacktestResult, selection: ProcedureChoice, best: str,
              metric: str) -> dict[str, Any]:
    """What the choice rested on: years, origins by evidence, per-year scores, the rule."""
    po = result.per_origin
    origins = po.drop_duplicates("as_of")
    ok = po.loc[(po["status"] == "ok") & po["model"].isin([best, EQUAL])]
    per_year = (ok.groupby(["model", "year"])[metric].mean().unstack("year")
                .round(3).to_dict(orient="index"))
    return {"years": list(selection.years), "n_origins": int(len(origins)),
            "origins_by_evidence": {str(k): int(v) for k, v in
                                    origins["evidence"].value_counts().sort_index().items()},
            "metric": metric, "rule": selection.rule, "decision": best,
            "default": selection.default,
            "per_year": {m: {str(y): v for y, v in d.items()} for m, d in per_year.items()}}


def _refit_and_log(spec: ModelSpec, data: TrainingData, workdir: Path, seed: int) -> Any:
    """Refit the selected spec on all data (fitted state logged as JSON), then log the pyfunc.

    The fitted state documents what the procedure learns from the full history and checks
    that it produces finite, non-negative paths; the served model refits at predict time on
    the history it is given (cut at as-of).
    """
    import mlflow

    from training.pyfunc_model import log_forecast_model, periods_to_text

    model = spec.build()
    try:
        fit_model(model, data.history, periods=data.periods)
    except ModelDeclined as exc:
        raise ModelUnavailableError(f"{spec.label}: cannot be refitted on all data: {exc}"
                                    ) from None
    paths = model.sample_paths(12, 500, seed)
    if not (np.all(np.isfinite(paths)) and np.all(paths >= 0)):
        raise ModelUnavailableError(f"{spec.label}: refit on all data gives invalid paths")
    summary = fitted_summary(model)
    summary["check"] = {"horizon_months": 12, "n_paths": 500, "seed": seed,
                        "mean_next12_oz": float(paths.sum(axis=1).mean()),
                        "last_month": str(data.history[TARGET].last_valid_index())}
    mlflow.log_dict(summary, "refit/fitted_summary.json")
    mlflow.log_dict(spec.to_dict(), "refit/spec.json")
    # The input example is a real request: the history with its period totals.
    return log_forecast_model(spec, data.history, workdir, example_params={
        "n_paths": 200, "periods": periods_to_text(data.periods)})
