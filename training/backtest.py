"""Rolling-origin backtests of year forecasts: refit at every month, score against actuals.

Expanding window (Tashman 2000, "Out-of-sample tests of forecasting accuracy"): for a target
year Y the origins run from December of Y-1 ("before January", no actual of Y known) to
November of Y (11 months known). An origin is used wherever the year's cumulative output at
that month end was known then: from every month's own figure (evidence ``monthly``) or from
the period totals published by then (``periods``: quarters, halves, year-to-date), and the
year's total is known (12 months or a published total). At each origin the model is refitted
on what was known at the origin only (``models.core.year.forecast_year``: months, or quarterly
totals for members that can read them), the rest of Y is simulated, and the annual total's
distribution is scored against the actual total. The next ``monthly_h`` months (capped at
the end of Y) are scored month by month. The guidance in force at each origin is scored the same way next to the
models: its midpoint as the point and its range as the interval at every level.

Scores are ``training.scoring``'s.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from models.core.calendar import target_year
from models.core.columns import TARGET
from models.core.errors import DataValidationError, ModelDeclined, UsageError
from models.core.year import YearForecast, data_span, forecast_year, known_year_to_date
from models.data.periods import annual_totals
from models.zoo import make_model
from training.scoring import (
    SKIPPED_COLUMNS,
    guidance_row,
    origin_row,
    per_origin_frame,
    score_paths,
    summarise,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BacktestConfig:
    """How a backtest simulates and runs; none of it changes which origins are scored.

    Attributes:
        n_paths: sample paths per forecast.
        seed: base seed; each task's seed is ``task_seed(seed, model, origin)``.
        monthly_h: months after each origin scored month by month (capped at December).
        n_jobs: worker processes (joblib loky) when > 1; results do not depend on it.
        progress: show a tqdm progress bar.
    """

    n_paths: int = 1000
    seed: int = 0
    monthly_h: int = 3
    n_jobs: int = 1
    progress: bool = False

    def __post_init__(self) -> None:
        if self.monthly_h < 1 or self.n_paths < 1:
            raise ValueError(f"monthly_h and n_paths must be >= 1, got {self.monthly_h}, "
                             f"{self.n_paths}")


@dataclass(frozen=True)
class _Task:
    """One (model, origin) fit: what differs between the tasks of a backtest."""

    model: str
    params: Mapping[str, Any]
    as_of: pd.Period
    evidence: str
    actual: float


@dataclass
class BacktestResult:
    """Scores of a rolling-origin backtest.

    Attributes:
        per_origin: one row per (model, origin), columns ``PER_ORIGIN_COLUMNS``; oz for
            totals and quantiles, percent for ``annual_ape`` and ``monthly_smape``; coverage
            flags of the annual total are booleans, monthly coverage is the share of scored
            months inside the interval. Rows with ``model == "guidance"`` score the guidance
            in force (``status`` "declined" where none was announced yet).
        summary: model x months_known means of the scores over the ``ok`` origins, with
            ``n_origins`` (ok rows) and ``n_declined``.
        skipped: origins left out before any fit (``year, as_of, reason``).
        forecasts: {(model, as_of): YearForecast} of every ok row, kept in memory (not
            written) so that combinations can be scored from the members' own paths.
    """

    per_origin: pd.DataFrame
    summary: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))
    forecasts: dict[tuple[str, str], YearForecast] = field(default_factory=dict, repr=False)

    def figures(self, selected: str | None = None) -> dict[str, Any]:
        """The backtest figures by file stem (matplotlib Figures, e.g. for MLflow log_figure),
        ``selected`` drawn bold."""
        from training.figures import annual_error_figure, coverage_figure

        return {"annual_error_by_months_known": annual_error_figure(self.summary, selected),
                "interval_coverage": coverage_figure(self.per_origin, selected)}

    def write(self, out_dir: Path, selected: str | None = None) -> list[Path]:
        """Write per_origin.csv, summary.csv (and skipped.csv if any) and the PNG figures.

        Args:
            out_dir: directory, created if needed.
            selected: the model the figures draw bold.
        Returns:
            The paths written, in a fixed order.
        """
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        tables = {"per_origin.csv": self.per_origin, "summary.csv": self.summary}
        if not self.skipped.empty:
            tables["skipped.csv"] = self.skipped
        for name, frame in tables.items():
            path = out / name
            frame.to_csv(path, index=False, lineterminator="\n")
            written.append(path)
        for stem, fig in self.figures(selected).items():
            path = out / f"{stem}.png"
            fig.savefig(path, dpi=110, metadata={"Software": None})
            written.append(path)
        return written


def _plan(years: Sequence[int], history: pd.DataFrame, periods: pd.DataFrame | None,
          annual_actuals: Mapping[int, float] | None
          ) -> tuple[list[tuple[pd.Period, str]], list[dict], dict[int, float]]:
    """Origins to run (with their evidence), origins skipped with their reason, actuals."""
    first, last = data_span(history, periods)
    totals = {**annual_totals(history, periods)}
    for year, value in (annual_actuals or {}).items():
        totals.setdefault(int(year), float(value))
    y = history[TARGET]
    origins, skipped = [], []
    for year in sorted({int(v) for v in years}):
        months = pd.period_range(f"{year}-01", f"{year}-12", freq="M")
        monthly = y.reindex(months)
        if monthly.notna().all():
            totals[year] = float(monthly.sum())
        for as_of in pd.period_range(f"{year - 1}-12", f"{year}-11", freq="M"):
            reason = None
            if as_of < first:
                reason = f"before the first month of the data ({first})"
            elif as_of > last:
                reason = f"after the last month of the data ({last})"
            elif year not in totals:
                reason = f"the actual {year} total is unknown (monthly gaps, no annual figure)"
            else:
                try:
                    ytd = known_year_to_date(history, periods, as_of, year)
                except DataValidationError as exc:
                    reason = str(exc)
            if reason is None:
                origins.append((as_of, ytd.source))
            else:
                log.debug("backtest: skipping origin %s (year %d): %s", as_of, year, reason)
                skipped.append({"year": year, "as_of": str(as_of), "reason": reason})
    return origins, skipped, totals


def origins_for(years: Sequence[int], history: pd.DataFrame,
                annual_actuals: Mapping[int, float] | None = None, *,
                periods: pd.DataFrame | None = None) -> list[pd.Period]:
    """Forecast origins of a rolling backtest over ``years``, oldest first.

    For each year Y: December of Y-1 (0 months known) to November of Y (11 known). An origin
    is kept only when it lies within the data, the actual total of Y is known (all 12 months
    present, a published total, or ``annual_actuals[Y]`` given) and the output of Y up to
    the origin was known at the origin (every month's figure, or period totals published
    by then); every other origin is skipped with a logged reason.

    Args:
        years: target years.
        history: production frame (monthly PeriodIndex named ``month``, ``gold_oz`` in oz).
        annual_actuals: optional {year: total oz} for years with monthly gaps.
        periods: period totals (quarters, halves, year-to-date, years).
    Returns:
        List of monthly Periods (the as-of months).
    """
    return [o for o, _ in _plan(years, history, periods, annual_actuals)[0]]


def years_without_origins(years: Sequence[int], history: pd.DataFrame,
                          periods: pd.DataFrame | None = None,
                          annual_actuals: Mapping[int, float] | None = None) -> dict[int, str]:
    """The target years of ``years`` where no origin can be backtested, each with the reason
    its last origin (November) was skipped: after the data, before it, the year's total
    unknown (an unfinished year), or its output to the origin not known then.

    Args:
        years: target years.
        history, periods, annual_actuals: as for ``origins_for``.
    Returns:
        {year: reason}, oldest year first; empty when every year has an origin.
    """
    origins, skipped, _ = _plan(years, history, periods, annual_actuals)
    covered = {target_year(as_of) for as_of, _ in origins}
    why = {row["year"]: row["reason"] for row in skipped if row["year"] not in covered}
    return {year: why[year] for year in sorted(why)}


def require_origins(years: Sequence[int], history: pd.DataFrame,
                    periods: pd.DataFrame | None = None,
                    annual_actuals: Mapping[int, float] | None = None) -> None:
    """Refuse target years that have no origin to backtest, before any work.

    Raises:
        UsageError: one line naming ``--years``, the years without an origin and why.
    """
    missing = years_without_origins(years, history, periods, annual_actuals)
    if missing:
        # A reason can quote a whole data problem; one line keeps the first 120 characters.
        shown = "; ".join(f"{year}: {' '.join(reason.split())[:120]}"
                          for year, reason in list(missing.items())[:5])
        more = f"; and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise UsageError(f"expected target years with at least one backtest origin (a "
                         f"month of the data from which the year's known total can be "
                         f"forecast), found none for {', '.join(map(str, missing))} "
                         f"({shown}{more})", option="years")


def task_seed(seed: int, model: str, as_of: pd.Period) -> int:
    """Seed of one (model, origin) task: a stable hash, independent of task order and n_jobs.

    Python's ``hash()`` is salted per process, so BLAKE2b of ``seed|model|as_of`` is used.
    """
    digest = hashlib.blake2b(f"{seed}|{model}|{as_of}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _run_task(task: _Task, history: pd.DataFrame, periods: pd.DataFrame | None,
              config: BacktestConfig) -> tuple[dict[str, Any], YearForecast | None]:
    """Fit one model at one origin and score it; declines become rows, never exceptions."""
    row = origin_row(task.model, task.as_of, task.actual, task.evidence)
    try:
        model = make_model(task.model, **task.params)
        yf = forecast_year(model, history, task.as_of, target_year(task.as_of),
                           n_paths=config.n_paths,
                           seed=task_seed(config.seed, task.model, task.as_of), periods=periods)
    except (ModelDeclined, DataValidationError) as exc:
        row.update(status="declined", reason=str(exc))
        return row, None
    score_paths(row, yf, history, config.monthly_h)
    return row, yf


def run_backtest(history: pd.DataFrame, model_names: Sequence[str], years: Sequence[int], *,
                 periods: pd.DataFrame | None = None, guidance: pd.DataFrame | None = None,
                 annual_actuals: Mapping[int, float] | None = None,
                 model_params: Mapping[str, dict] | None = None,
                 config: BacktestConfig = BacktestConfig()) -> BacktestResult:
    """Rolling-origin backtest of ``model_names`` over the origins of ``years``.

    Args:
        history: validated production frame (monthly PeriodIndex ``month``, ``gold_oz`` oz).
        model_names: zoo names to backtest.
        years: target years (origins Dec of Y-1 .. Nov of Y, see ``origins_for``).
        periods: period totals passed to models that read them (cut at each origin).
        guidance: ``year, low_oz, high_oz, announced``; scored as model ``"guidance"``.
        annual_actuals: {year: total oz} for years whose monthly figures have gaps (see
            ``models.data.periods.annual_totals``, which the backtest applies itself to its
            history and periods); all 12 monthly actuals take precedence.
        model_params: {model name: constructor keyword arguments}.
        config: paths, seed, months scored, workers, progress bar.
    Returns:
        BacktestResult.
    Raises:
        UsageError: no year of ``years`` has an origin (``require_origins``).
    """
    origins, skipped, actuals = _plan(years, history, periods, annual_actuals)
    if not origins:
        # Nothing to score: the tables and the pick would be empty (a KeyError downstream).
        require_origins(years, history, periods, annual_actuals)
    if skipped:
        log.info("backtest: %d origins skipped (output to the origin or the year's total "
                 "unknown; skipped.csv says why)", len(skipped))
    params = dict(model_params or {})
    tasks = [_Task(name, params.get(name, {}), as_of, evidence, actuals[target_year(as_of)])
             for name in model_names for as_of, evidence in origins]
    log.info("backtest: %d models x %d origins = %d fits", len(model_names), len(origins),
             len(tasks))
    bar = tqdm(total=len(tasks), desc="backtest", unit="fit", disable=not config.progress)
    rows: list[dict[str, Any]] = []
    forecasts: dict[tuple[str, str], YearForecast] = {}

    def keep(out: tuple[dict[str, Any], YearForecast | None]) -> None:
        row, yf = out
        rows.append(row)
        if yf is not None:
            forecasts[(row["model"], row["as_of"])] = yf
        bar.update(1)

    try:
        if config.n_jobs == 1 or len(tasks) <= 1:
            for task in tasks:
                keep(_run_task(task, history, periods, config))
        else:
            # An ordered generator: rows arrive in task order whatever the worker timing.
            runner = Parallel(n_jobs=config.n_jobs, backend="loky", return_as="generator")
            for out in runner(delayed(_run_task)(task, history, periods, config)
                              for task in tasks):
                keep(out)
    finally:
        bar.close()
    log_declines(rows)
    rows += [guidance_row(guidance, o, ev, actuals[target_year(o)]) for o, ev in origins]
    per_origin = per_origin_frame(rows)
    return BacktestResult(per_origin=per_origin, summary=summarise(per_origin),
                          skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS),
                          forecasts=forecasts)


def log_declines(rows: Sequence[Mapping[str, Any]]) -> None:
    """One INFO line per model that declined somewhere (how often, the first reason); each
    origin at DEBUG."""
    by_model: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        if row["status"] == "declined":
            by_model.setdefault(row["model"], []).append(row)
            log.debug("backtest: %s declined at %s: %s", row["model"], row["as_of"],
                      row["reason"])
    for model, declined in by_model.items():
        log.info("backtest: %s declined at %d origin(s), e.g. %s: %s", model, len(declined),
                 declined[0]["as_of"], declined[0]["reason"][:200])
