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
becomes ``challenger``. When the champion already is the chosen procedure refitted on the
same figures with the same seed, nothing new is logged or registered: the job says
"unchanged" and names the champion's version.
"""

from __future__ import annotations

import logging
import math
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from models.core.errors import OrecastError, TrackingUnavailableError
from models.core.version import orecast_version
from models.data.digest import data_sha256
from models.data.inputs import Inputs, load_inputs
from training.backtest import (
    BacktestConfig,
    BacktestResult,
    origins_for,
    require_origins,
    run_backtest,
)
from training.candidates import candidate_names, evidence_years
from training.champion import against_champion, scores_by_origin
from training.combination import EQUAL, SKILL, add_combinations, member_names
from training.loyo import expectation_table, leave_one_year_out
from training.metrics import coverage_pct
from training.registry import (
    CHAMPION,
    DEFAULT_NAME,
    AliasDecision,
    check_own_name,
    register,
    same_model,
)
from training.run_logging import (
    log_candidate_run,
    log_params_once,
    log_refitted_model,
)
from training.sales_backtest import log_sales_scores
from training.scoring import GUIDANCE
from training.selection import MIN_YEARS, ProcedureChoice, choose_procedure, evidence_record
from training.spec import ModelSpec
from training.tracking import (
    bound_http_retries,
    check_tracking,
    link_project_run,
    log_history_dataset,
    log_table_csv,
    place_run,
    provenance_tags,
    resolve_tracking_uri,
    store_failure,
    tracking_uri,
)

log = logging.getLogger(__name__)

DEFAULT_EXPERIMENT = "orecast"


@dataclass(frozen=True)
class TrainConfig:
    """How a training job runs, apart from its data and candidates.

    Attributes:
        experiment: MLflow experiment name; None = ``orecast``, or inside ``mlflow run`` the
            project run's experiment unless it is "Default" (see ``tracking.place_run``).
        register_as: registered model name, or None to log without registering.
        metric: selection loss (``annual_crps`` in oz by default; lower is better).
        n_paths: sample paths per backtest forecast.
        seed: base seed (same data + seed -> same metrics and forecasts).
        monthly_h: months after each origin scored month by month.
        n_jobs: backtest worker processes.
        figures: log the backtest figures (parent and child runs); rendering them is the
            slowest part of logging.
        progress: show a progress bar over the backtest fits.
    """

    experiment: str | None = None
    register_as: str | None = DEFAULT_NAME
    metric: str = "annual_crps"
    n_paths: int = 1000
    seed: int = 0
    monthly_h: int = 3
    n_jobs: int = 1
    figures: bool = True
    progress: bool = False

    @property
    def backtest(self) -> BacktestConfig:
        """The backtest's share of the settings."""
        return BacktestConfig(n_paths=self.n_paths, seed=self.seed, monthly_h=self.monthly_h,
                              n_jobs=self.n_jobs, progress=self.progress)


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
        unchanged: the champion already is this model (same procedure, figures and seed):
            nothing was logged as a new model or registered; ``version`` and ``model_uri``
            name the champion.
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
    unchanged: bool = False

    @property
    def alias(self) -> str | None:
        """``champion`` or ``challenger`` (None when not registered); ``champion`` when
        ``unchanged``, the version named being the champion."""
        if self.unchanged:
            return CHAMPION
        return self.decision.alias if self.decision else None


def train(data: str | Path | pd.DataFrame | None = None, *, models: Sequence[str] | None = None,
          years: Sequence[int] | None = None, tracking: str | None = None,
          model_params: Mapping[str, dict] | None = None,
          periods: pd.DataFrame | None = None, guidance: pd.DataFrame | None = None,
          prices: str | Path | pd.Series | None = None,
          config: TrainConfig = TrainConfig()) -> TrainResult:
    """Run one tracked training job (see the module docstring).

    Args:
        data: None (embedded Dynacor data), a production CSV/Parquet path, or a frame.
        models: zoo names to backtest (default: ``training.candidates.available_models()``).
        years: target years of the rolling-origin backtest (origins Dec Y-1 .. Nov Y);
            default ``evidence_years``: every year of the data with a year before it.
        tracking: tracking URI (default ``MLFLOW_TRACKING_URI`` or MLflow's default).
        model_params: {model name: constructor params}.
        periods, guidance: override the data's period totals / guidance.
        prices: gold price history (file or series, USD/oz) the sales forecast is scored
            with; default the embedded World Bank series.
        config: experiment, registered name, selection metric, backtest settings, figures.
    Returns:
        TrainResult.
    Raises:
        TrackingUnavailableError: the tracking store cannot be reached; nothing is
            registered in that case.
        DataValidationError, UsageError: bad data, unknown model or metric.
    """
    uri = resolve_tracking_uri(tracking)
    bound_http_retries()
    check_tracking(uri)
    data_ = load_inputs(data, guidance=guidance, periods=periods, prices=prices)
    names = candidate_names(models)
    candidates = {m: ModelSpec.for_name(m, (model_params or {}).get(m)) for m in names}
    target_years = list(years) if years else evidence_years(data_.history, data_.periods)
    if years:
        # Years asked for by name must each be backtested; the default skips unfinished ones.
        require_origins(target_years, data_.history, data_.periods)
    try:
        with tracking_uri(uri):
            if config.register_as:
                # A name shared with a model orecast did not make is refused before the
                # backtest, not after it (registration would delete or demote that model).
                check_own_name(config.register_as)
            return _train(uri, data_, candidates, target_years, config)
    except OrecastError:  # already says what failed (TrackingUnavailableError among them)
        raise
    except Exception as exc:
        from mlflow.exceptions import MlflowException

        broken = store_failure(exc)
        if broken is not None:
            # The sqlite store itself (locked by another process, corrupted, disk full),
            # raised as SQLAlchemy's or sqlite's own error: exit 3 naming the store.
            raise TrackingUnavailableError(f"{uri}: the tracking store failed during "
                                           f"training: {broken}") from exc
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


def _years(n: int) -> str:
    """``1 year``, ``4 years``: a count as a reader says it."""
    return f"{n} year{'' if n == 1 else 's'}"


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


@dataclass
class _Selection:
    """The backtest, the pick and the honest expectation of a job."""

    result: BacktestResult
    candidates: dict[str, ModelSpec]
    choice: ProcedureChoice
    score: float
    held: pd.DataFrame
    expectation: pd.DataFrame
    child_run_ids: dict[str, str]


def _backtest_and_select(data: Inputs, candidates: dict[str, ModelSpec],
                         years: list[int], config: TrainConfig,
                         tags: Mapping[str, str]) -> _Selection:
    """Backtest the candidates and their mixtures, log a child run each, pick by the rule."""
    import mlflow

    metric = config.metric
    result = run_backtest(data.history, list(candidates), years, periods=data.periods,
                          guidance=data.guidance,
                          model_params={m: s.params for m, s in candidates.items()},
                          config=config.backtest)
    result, weights = add_combinations(result, data.history, config.monthly_h, metric)
    # The mixtures served are those scored: over the members this job backtested.
    members = member_names(result)
    candidates = {**candidates,
                  EQUAL: ModelSpec.for_name("ensemble", {"members": members}),
                  SKILL: ModelSpec.for_name("ensemble", {"members": members,
                                                         "weights": weights})}
    child_ids = {m: log_candidate_run(result, m, candidates[m], tags, config.figures)
                 for m in candidates}
    log_table_csv(result.summary, "backtest/summary.csv")
    log_table_csv(result.per_origin, "backtest/per_origin.csv")
    g = scores_by_origin(result.per_origin, GUIDANCE, metric)
    if len(g):
        mlflow.log_metric(f"guidance_mean_{metric}", float(g.mean()))

    choice = choose_procedure(result, EQUAL, metric)
    if config.figures:
        for stem, fig in result.figures(choice.best).items():
            mlflow.log_figure(fig, f"figures/{stem}.png")
    log.info("train: %s chosen on %s of evidence (%s)", choice.best,
             _years(len(choice.years)), choice.rule)
    log_table_csv(choice.table, "selection/procedure.csv")
    score = float(scores_by_origin(result.per_origin, choice.best, metric).mean())
    held, folds = leave_one_year_out(result, data.history, config.monthly_h, metric)
    expectation = expectation_table(result, held)
    log_table_csv(expectation, "evaluation/leave_one_year_out.csv")
    log_table_csv(folds, "evaluation/folds.csv")
    return _Selection(result, candidates, choice, score, held, expectation, child_ids)


def _train(uri: str, data: Inputs, candidates: dict[str, ModelSpec], years: list[int],
           config: TrainConfig) -> TrainResult:
    import mlflow

    metric, register_as = config.metric, config.register_as
    history = data.history
    digest = data_sha256(history, data.periods)
    origins = origins_for(years, history, periods=data.periods)
    place = place_run(config.experiment, DEFAULT_EXPERIMENT)
    tags = provenance_tags()
    run_name = f"train {data.name} {years[0]}-{years[-1]}" if years else f"train {data.name}"
    with mlflow.start_run(run_name=run_name, experiment_id=place.experiment_id) as parent:
        link_project_run(place, parent.info.run_id)
        mlflow.set_tags({**tags, "orecast.role": "training", "data.name": data.name,
                         "mlflow.note.content": (
                             f"Backtest of {len(candidates)} models on {data.name} "
                             f"({len(origins)} origins in {', '.join(map(str, years))}); "
                             f"the chosen procedure is logged as this run's model"
                             + (f" and registered under {register_as}." if register_as
                                else "."))})
        log_params_once(parent.info.run_id, {
            "models": ",".join(candidates), "years": ",".join(map(str, years)),
            "n_origins": len(origins),
            "origins": ",".join(str(o) for o in origins)[:6000] or "-",
            "n_paths": config.n_paths, "seed": config.seed, "selection_metric": metric,
            "monthly_h": config.monthly_h, "data_source": data.source,
            "register_as": register_as or "-"})
        log_history_dataset(history, name=data.name, digest=digest, source=data.source)

        sel = _backtest_and_select(data, candidates, years, config, tags)
        best, selection, result = sel.choice.best, sel.choice, sel.result
        evidence = evidence_record(result, selection, best, metric)
        spec = ModelSpec(sel.candidates[best].name, sel.candidates[best].params, {
            "data_name": data.name, "data_sha256": digest, "data_source": data.source,
            "selection_metric": metric, "selection_score": sel.score,
            "origins": [str(o) for o in origins], "n_paths": config.n_paths,
            "seed": config.seed, "candidates": list(sel.candidates),
            "orecast_version": orecast_version(),
            "git_commit": tags.get("orecast.git_commit"), "parent_run_id": parent.info.run_id,
            "evidence": evidence})
        mlflow.log_dict(evidence, "selection/evidence.json")
        mlflow.set_tags({"orecast.selected": best, "orecast.spec": spec.label,
                         "orecast.rule": selection.rule[:500],
                         "orecast.evidence_years": ",".join(map(str, selection.years))})
        mlflow.log_metric(f"selected_mean_{metric}", sel.score)
        log_sales_scores(sel.result, best, data, config.seed)
        proc = sel.held.loc[sel.held["status"] == "ok"]
        if len(proc):
            mlflow.log_metrics({"expected_annual_ape": float(proc["annual_ape"].mean()),
                                "expected_annual_crps": float(proc["annual_crps"].mean()),
                                "expected_annual_cover80": coverage_pct(
                                    proc["annual_cover80"].to_numpy())})
        if len(selection.years) < MIN_YEARS:
            log.warning("train: the choice rests on %s of evidence (%s); the rule "
                        "needs %d years before a single model can replace the equal mixture",
                        _years(len(selection.years)),
                        ", ".join(map(str, selection.years)) or "none", MIN_YEARS)

        decision = champ_mv = champ_spec = None
        if register_as:
            decision, champ_spec, champ_mv = against_champion(
                register_as, best, data, years, sel.candidates, result, metric,
                config.backtest)
            mlflow.set_tags({"orecast.alias_decision": decision.alias,
                             "orecast.alias_reason": decision.reason[:500]})
            mlflow.log_metric(f"compared_mean_{metric}", decision.score)
            if decision.champion_score is not None and math.isfinite(decision.champion_score):
                mlflow.log_metric(f"champion_mean_{metric}", decision.champion_score)
            if champ_spec is not None:
                mlflow.set_tag("orecast.champion_spec", champ_spec.label)

        version = None
        unchanged = bool(register_as) and same_model(champ_mv, champ_spec, spec, digest,
                                                     config.seed)
        if unchanged:
            # Re-running a job on the same figures (make demo twice) would register a copy
            # of the champion as challenger: the champion is named instead.
            version = str(champ_mv.version)
            model_uri = f"models:/{register_as}/{version}"
            log.info("train: unchanged: version %s of %s is this model (same procedure, "
                     "figures and seed); no new version registered", version, register_as)
            mlflow.set_tags({"orecast.unchanged": f"{register_as}/{version}",
                             "orecast.alias_decision": "unchanged"})
        else:
            with tempfile.TemporaryDirectory() as tmp:
                model_uri = log_refitted_model(spec, data.history, data.periods, Path(tmp),
                                               config.seed).model_uri
        if register_as and decision is not None and not unchanged:
            version_tags = _version_tags(spec, sel, decision, champ_mv, data, digest, origins,
                                         config, parent.info.run_id, proc)
            mv = register(model_uri, register_as, decision.alias, version_tags,
                          description=_version_description(spec, sel, data, decision, proc))
            version = str(mv.version)
            mlflow.set_tags({"orecast.registered": f"{register_as}/{version}",
                             "orecast.alias": decision.alias})
        experiment_id = parent.info.experiment_id
        parent_id = parent.info.run_id
    return TrainResult(tracking_uri=uri, experiment_id=experiment_id, parent_run_id=parent_id,
                       child_run_ids=sel.child_run_ids, backtest=result, selection=selection,
                       spec=spec,
                       model_uri=model_uri, data_sha256=digest,
                       registered_name=register_as if version else None, version=version,
                       decision=decision, metrics={metric: sel.score},
                       expectation=sel.expectation, unchanged=unchanged)


def _version_description(spec: ModelSpec, sel: _Selection, data: Inputs,
                         decision: AliasDecision, proc: pd.DataFrame) -> str:
    """One paragraph for the version's MLflow page: what was chosen, on what, how it
    scored, and why it got its alias."""
    text = (f"{spec.label}, chosen on {data.name} ({_years(len(sel.choice.years))} of "
            f"evidence: {', '.join(map(str, sel.choice.years)) or 'none'}) by "
            f"{sel.choice.rule}.")
    if len(proc):
        text += (f" Held out a year at a time, the median annual total was off by "
                 f"{float(proc['annual_ape'].astype(float).mean()):.1f}% on average; its 80% "
                 f"range held the actual {coverage_pct(proc['annual_cover80'].to_numpy()):.0f}% "
                 f"of the time.")
    return text + f" Registered as {decision.alias}."


def _version_tags(spec: ModelSpec, sel: _Selection, decision: AliasDecision, champ_mv: Any,
                  data: Inputs, digest: str, origins: Sequence[pd.Period],
                  config: TrainConfig, parent_run_id: str, proc: pd.DataFrame
                  ) -> dict[str, Any]:
    """The registered version's tags: its scores, evidence, data and provenance."""
    metric, best = config.metric, sel.choice.best
    tags: dict[str, Any] = {
        "metric": metric, metric: sel.score, f"compared_{metric}": decision.score,
        "n_origins_compared": decision.n_origins, "data_sha256": digest,
        "data_name": data.name, "model": spec.name, "candidate": best,
        "spec": spec.label, "evidence_years": ",".join(map(str, sel.choice.years)),
        "rule_decision": best,
        "origins": ",".join(str(o) for o in origins)[:4000],
        "n_paths": config.n_paths, "seed": config.seed, "parent_run_id": parent_run_id,
        "orecast_version": orecast_version()}
    # Percent both: APE of the actual, and the share of actuals inside the 80% interval.
    ape = scores_by_origin(sel.result.per_origin, best, "annual_ape")
    cover = scores_by_origin(sel.result.per_origin, best, "annual_cover80")
    if len(ape):
        tags["mean_annual_ape"] = float(ape.mean())
    if len(cover):
        tags["mean_annual_cover80"] = coverage_pct(cover.to_numpy())
    if len(proc):
        tags["expected_annual_ape"] = float(proc["annual_ape"].astype(float).mean())
        tags["expected_annual_cover80"] = coverage_pct(proc["annual_cover80"].to_numpy())
    if decision.champion_score is not None:
        tags[f"champion_{metric}"] = decision.champion_score
        tags["champion_version"] = champ_mv.version if champ_mv else "-"
    return tags
