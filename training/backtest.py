"""Rolling-origin backtests of year forecasts: refit at every month, score against actuals.

Expanding window (Tashman 2000, "Out-of-sample tests of forecasting accuracy"): for a target
year Y the origins run from December of Y-1 ("before January", no actual of Y known) to
November of Y (11 months known). At each origin the model is refitted on the months up to
the origin only, the rest of Y is simulated, and the annual total's distribution is scored
against the actual total. The next ``monthly_h`` months (capped at the end of Y) are scored
month by month. The guidance in force at each origin is scored the same way next to the
models: its midpoint as the point and its range as the interval at every level.

Point forecasts are the median (p50) of the paths, for the year and for each month: the
median minimises expected absolute error, which is what APE and MAE measure.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from tqdm import tqdm

from models.base import TARGET
from models.errors import DataValidationError, ModelDeclined
from models.year import YearForecast, forecast_year, guidance_in_force, target_year
from models.zoo import make_model
from training import metrics

log = logging.getLogger(__name__)

LEVELS = (50, 80, 90)
ANNUAL_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
PER_ORIGIN_COLUMNS = [
    "model", "year", "as_of", "months_known", "status", "reason", "annual_actual_oz",
    "annual_mean", "annual_p05", "annual_p10", "annual_p25", "annual_p50", "annual_p75",
    "annual_p90", "annual_p95", "annual_ape", "annual_crps",
    "annual_cover50", "annual_cover80", "annual_cover90",
    "monthly_n", "monthly_mae", "monthly_smape", "monthly_mase", "monthly_crps",
    "monthly_pinball", "monthly_cover50", "monthly_cover80", "monthly_cover90",
]
SCORE_COLUMNS = ["annual_ape", "annual_crps", "annual_cover50", "annual_cover80",
                 "annual_cover90", "monthly_mae", "monthly_smape", "monthly_mase",
                 "monthly_crps", "monthly_pinball", "monthly_cover50", "monthly_cover80",
                 "monthly_cover90"]
SKIPPED_COLUMNS = ["year", "as_of", "reason"]
GUIDANCE = "guidance"


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
    """

    per_origin: pd.DataFrame
    summary: pd.DataFrame
    skipped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=SKIPPED_COLUMNS))

    def figures(self) -> dict[str, Any]:
        """The backtest figures by file stem (matplotlib Figures, e.g. for MLflow log_figure)."""
        from training.figures import annual_error_figure, coverage_figure

        return {"annual_error_by_months_known": annual_error_figure(self.summary),
                "interval_coverage": coverage_figure(self.per_origin)}

    def write(self, out_dir: Path) -> list[Path]:
        """Write per_origin.csv, summary.csv (and skipped.csv if any) and the PNG figures.

        Args:
            out_dir: directory, created if needed.
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
        for stem, fig in self.figures().items():
            path = out / f"{stem}.png"
            fig.savefig(path, dpi=110, metadata={"Software": None})
            written.append(path)
        return written


def annual_totals_from_periods(periods: pd.DataFrame) -> dict[int, float]:
    """Annual gold totals (oz) from a periods table: ``gold_produced`` rows covering a year.

    A row covers a whole year when its ``period`` is ``YYYY`` or ``YYYY-01..YYYY-12`` (or its
    ``start``/``end`` months are January and December of one year). When several releases
    give a year, the one with the latest ``release_date`` wins (later releases carry the
    final adjusted figures); undated rows count as oldest.

    Args:
        periods: periods frame with ``metric`` and ``value`` and either ``period`` or
            ``start``/``end`` columns; ``release_date`` optional.
    Returns:
        {year: total oz}.
    """
    if periods is None or periods.empty:
        return {}
    value_col = "value" if "value" in periods.columns else "value_oz"
    missing = [c for c in ("metric", value_col) if c not in periods.columns]
    if missing:
        raise DataValidationError(f"<periods>: {missing[0]}: column expected in periods table")
    rows = periods.loc[periods["metric"] == "gold_produced"].copy()
    rows["_year"] = [_whole_year(r) for r in rows.to_dict("records")]
    rows = rows.dropna(subset=["_year", value_col])
    if "release_date" in rows.columns:
        rows["_released"] = pd.to_datetime(rows["release_date"].astype(str), format="ISO8601",
                                           errors="coerce")
    else:
        rows["_released"] = pd.NaT
    rows = rows.sort_values("_released", kind="stable", na_position="first")
    last = rows.groupby("_year", sort=True).tail(1)
    return {int(y): float(v) for y, v in zip(last["_year"], last[value_col], strict=True)}


def _whole_year(row: Mapping[str, Any]) -> int | None:
    if "start" in row and "end" in row and pd.notna(row["start"]) and pd.notna(row["end"]):
        start, end = (pd.Period(str(row[k]), freq="M") for k in ("start", "end"))
        ok = start.month == 1 and end.month == 12 and start.year == end.year
        return start.year if ok else None
    text = str(row.get("period", "")).strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    m = re.fullmatch(r"(\d{4})-01\.\.(\d{4})-12", text)
    return int(m.group(1)) if m and m.group(1) == m.group(2) else None


def _plan(years: Sequence[int], history: pd.DataFrame,
          annual_actuals: Mapping[int, float] | None) -> tuple[list[pd.Period], list[dict]]:
    """Origins to run and origins skipped with their reason (logged)."""
    y = history[TARGET]
    first, last = history.index[0], history.index[-1]
    origins, skipped = [], []
    for year in sorted({int(v) for v in years}):
        months = pd.period_range(f"{year}-01", f"{year}-12", freq="M")
        actual = y.reindex(months)
        total_known = bool(actual.notna().all()) or (
            annual_actuals is not None and year in annual_actuals)
        for as_of in pd.period_range(f"{year - 1}-12", f"{year}-11", freq="M"):
            reason = None
            if as_of < first:
                reason = f"before the first month of the data ({first})"
            elif as_of > last:
                reason = f"after the last month of the data ({last})"
            elif not total_known:
                reason = f"the actual {year} total is unknown (monthly gaps, no annual figure)"
            else:
                gaps = actual.loc[months <= as_of]
                gaps = gaps.index[gaps.isna()]
                if len(gaps):
                    reason = (f"months {', '.join(str(m) for m in gaps)} of {year} have no "
                              f"figure; a forecast from {as_of} needs them")
            if reason is None:
                origins.append(as_of)
            else:
                log.info("backtest: skipping origin %s (year %d): %s", as_of, year, reason)
                skipped.append({"year": year, "as_of": str(as_of), "reason": reason})
    return origins, skipped


def origins_for(years: Sequence[int], history: pd.DataFrame,
                annual_actuals: Mapping[int, float] | None = None) -> list[pd.Period]:
    """Forecast origins of a rolling backtest over ``years``, oldest first.

    For each year Y: December of Y-1 (0 months known) to November of Y (11 known). An origin
    is kept only when it lies within the data, the actual total of Y is known (all 12 months
    present, or ``annual_actuals[Y]`` given) and every month of Y up to the origin has a
    figure; every other origin is skipped with a logged reason.

    Args:
        years: target years.
        history: production frame (monthly PeriodIndex named ``month``, ``gold_oz`` in oz).
        annual_actuals: optional {year: total oz} for years with monthly gaps.
    Returns:
        List of monthly Periods (the as-of months).
    """
    return _plan(years, history, annual_actuals)[0]


def task_seed(seed: int, model: str, as_of: pd.Period) -> int:
    """Seed of one (model, origin) task: a stable hash, independent of task order and n_jobs.

    Python's ``hash()`` is salted per process, so BLAKE2b of ``seed|model|as_of`` is used.
    """
    digest = hashlib.blake2b(f"{seed}|{model}|{as_of}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _empty_row(model: str, year: int, as_of: pd.Period, months_known: int,
               actual: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(PER_ORIGIN_COLUMNS, np.nan)
    row.update(model=model, year=year, as_of=str(as_of), months_known=months_known,
               status="ok", reason="", annual_actual_oz=actual, monthly_n=0)
    for lv in LEVELS:
        row[f"annual_cover{lv}"] = pd.NA
    return row


def _score_paths(row: dict[str, Any], yf: YearForecast, history: pd.DataFrame,
                 monthly_h: int) -> None:
    """Fill the annual and monthly scores of ``row`` from a YearForecast ``yf`` (in place)."""
    annual = yf.annual_paths
    actual = row["annual_actual_oz"]
    q = np.quantile(annual, ANNUAL_QUANTILES, method="linear")
    row["annual_mean"] = float(annual.mean())
    for level, value in zip(ANNUAL_QUANTILES, q, strict=True):
        row[f"annual_p{round(level * 100):02d}"] = float(value)
    row["annual_ape"] = 100.0 * abs(row["annual_p50"] - actual) / actual
    row["annual_crps"] = metrics.crps_from_samples(annual, actual)
    for lv in LEVELS:
        row[f"annual_cover{lv}"] = bool(metrics.interval_coverage(annual, actual, lv / 100))

    n_known = yf.months_actual
    h = min(monthly_h, 12 - n_known)
    paths = yf.month_paths[:, n_known:n_known + h]
    observed = history[TARGET].reindex(yf.months[n_known:n_known + h]).to_numpy(dtype=float)
    keep = np.isfinite(observed)
    row["monthly_n"] = int(keep.sum())
    if not keep.any():
        return
    paths, observed = paths[:, keep], observed[keep]
    point = np.median(paths, axis=0)
    past = history.loc[history.index <= yf.as_of, TARGET].to_numpy(dtype=float)
    row["monthly_mae"] = metrics.mae(observed, point)
    row["monthly_smape"] = metrics.smape(observed, point)
    row["monthly_mase"] = metrics.mase(observed, point, metrics.mase_scale(past))
    row["monthly_crps"] = float(np.mean(metrics.crps_from_samples(paths, observed)))
    row["monthly_pinball"] = float(np.mean(metrics.pinball_loss(paths, observed)))
    for lv in LEVELS:
        row[f"monthly_cover{lv}"] = float(np.mean(
            metrics.interval_coverage(paths, observed, lv / 100)))


def _run_task(name: str, params: Mapping[str, Any], history: pd.DataFrame,
              periods: pd.DataFrame | None, as_of: pd.Period, actual: float, n_paths: int,
              seed: int, monthly_h: int) -> dict[str, Any]:
    """Fit one model at one origin and score it; declines become rows, never exceptions."""
    year = target_year(as_of)
    months_known = as_of.month % 12  # Dec of Y-1 -> 0 months of Y known
    row = _empty_row(name, year, as_of, months_known, actual)
    try:
        model = make_model(name, **params)
        yf = forecast_year(model, history, as_of, year, n_paths=n_paths,
                           seed=task_seed(seed, name, as_of), periods=periods)
    except (ModelDeclined, DataValidationError) as exc:
        row.update(status="declined", reason=str(exc))
        return row
    _score_paths(row, yf, history, monthly_h)
    return row


def _guidance_row(guidance: pd.DataFrame | None, as_of: pd.Period,
                  actual: float) -> dict[str, Any]:
    """Score the guidance in force at ``as_of`` as a uniform distribution on its range."""
    year = target_year(as_of)
    row = _empty_row(GUIDANCE, year, as_of, as_of.month % 12, actual)
    rng = guidance_in_force(guidance, year, as_of)
    if rng is None:
        row.update(status="declined", reason=f"no {year} guidance announced by end of {as_of}")
        return row
    low, high = rng
    mid = 0.5 * (low + high)
    # One range serves as the interval at every level, so all lower quantiles are the low
    # end and all upper ones the high end.
    row.update(annual_mean=mid, annual_p50=mid, annual_p05=low, annual_p10=low, annual_p25=low,
               annual_p75=high, annual_p90=high, annual_p95=high)
    row["annual_ape"] = 100.0 * abs(mid - actual) / actual
    row["annual_crps"] = metrics.crps_uniform(low, high, actual)
    inside = bool(low <= actual <= high)
    for lv in LEVELS:
        row[f"annual_cover{lv}"] = inside
    return row


def summarise(per_origin: pd.DataFrame) -> pd.DataFrame:
    """Model x months_known means of the scores over ``ok`` rows (coverage as a share).

    Args:
        per_origin: the per-origin table of a backtest.
    Returns:
        Frame with ``model, months_known, n_origins, n_declined`` and the mean of every
        score column; models in order of first appearance.
    """
    cols = ["model", "months_known", "n_origins", "n_declined", *SCORE_COLUMNS]
    if per_origin.empty:
        return pd.DataFrame(columns=cols)
    df = per_origin.copy()
    order = {m: i for i, m in enumerate(dict.fromkeys(df["model"]))}
    ok = df["status"] == "ok"
    for c in SCORE_COLUMNS:
        df[c] = df[c].astype("Float64").where(ok)
    grouped = df.groupby(["model", "months_known"], sort=False)
    out = grouped[SCORE_COLUMNS].mean().astype(float)
    out["n_origins"] = grouped["status"].agg(lambda s: int((s == "ok").sum()))
    out["n_declined"] = grouped["status"].agg(lambda s: int((s != "ok").sum()))
    out = out.reset_index()
    out["_order"] = out["model"].map(order)
    out = out.sort_values(["_order", "months_known"], kind="stable").drop(columns="_order")
    return out[cols].reset_index(drop=True)


def run_backtest(history: pd.DataFrame, model_names: Sequence[str], years: Sequence[int], *,
                 periods: pd.DataFrame | None = None, guidance: pd.DataFrame | None = None,
                 annual_actuals: Mapping[int, float] | None = None,
                 n_paths: int = 1000, seed: int = 0, monthly_h: int = 3, n_jobs: int = 1,
                 model_params: Mapping[str, dict] | None = None,
                 progress: bool = False) -> BacktestResult:
    """Rolling-origin backtest of ``model_names`` over the origins of ``years``.

    Args:
        history: validated production frame (monthly PeriodIndex ``month``, ``gold_oz`` oz).
        model_names: zoo names to backtest.
        years: target years (origins Dec of Y-1 .. Nov of Y, see ``origins_for``).
        periods: period totals passed to models that read them (cut at each origin).
        guidance: ``year, low_oz, high_oz, announced``; scored as model ``"guidance"``.
        annual_actuals: {year: total oz} for years whose monthly figures have gaps (see
            ``annual_totals_from_periods``); all 12 monthly actuals take precedence.
        n_paths: sample paths per forecast.
        seed: base seed; each task's seed is ``task_seed(seed, model, origin)``.
        monthly_h: months after each origin scored month by month (capped at December).
        n_jobs: worker processes (joblib loky) when > 1; results do not depend on it.
        model_params: {model name: constructor keyword arguments}.
        progress: show a tqdm progress bar.
    Returns:
        BacktestResult.
    """
    if monthly_h < 1 or n_paths < 1:
        raise ValueError(f"monthly_h and n_paths must be >= 1, got {monthly_h}, {n_paths}")
    origins, skipped = _plan(years, history, annual_actuals)
    if not origins:
        log.warning("backtest: no usable origin in years %s (%d skipped)",
                    ", ".join(str(y) for y in years), len(skipped))
    actuals: dict[int, float] = {}
    for year in sorted({target_year(o) for o in origins}):
        monthly = history[TARGET].reindex(pd.period_range(f"{year}-01", f"{year}-12", freq="M"))
        actuals[year] = (float(monthly.sum()) if monthly.notna().all()
                         else float(annual_actuals[year]))  # type: ignore[index]
    params = dict(model_params or {})
    tasks = [(name, params.get(name, {}), as_of) for name in model_names for as_of in origins]
    log.info("backtest: %d models x %d origins = %d fits", len(model_names), len(origins),
             len(tasks))

    args = [(name, p, history, periods, as_of, actuals[target_year(as_of)], n_paths, seed,
             monthly_h) for name, p, as_of in tasks]
    bar = tqdm(total=len(args), desc="backtest", unit="fit", disable=not progress)
    rows: list[dict[str, Any]] = []
    try:
        if n_jobs == 1 or len(args) <= 1:
            for a in args:
                rows.append(_run_task(*a))
                bar.update(1)
        else:
            # An ordered generator: rows arrive in task order whatever the worker timing.
            runner = Parallel(n_jobs=n_jobs, backend="loky", return_as="generator")
            for row in runner(delayed(_run_task)(*a) for a in args):
                rows.append(row)
                bar.update(1)
    finally:
        bar.close()
    for row in rows:
        if row["status"] == "declined":
            log.info("backtest: %s declined at %s: %s", row["model"], row["as_of"], row["reason"])
    rows += [_guidance_row(guidance, o, actuals[target_year(o)]) for o in origins]
    per_origin = _frame(rows)
    return BacktestResult(per_origin=per_origin, summary=summarise(per_origin),
                          skipped=pd.DataFrame(skipped, columns=SKIPPED_COLUMNS))


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=PER_ORIGIN_COLUMNS)
    df["year"] = df["year"].astype(int)
    df["months_known"] = df["months_known"].astype(int)
    df["monthly_n"] = df["monthly_n"].astype(int)
    for lv in LEVELS:
        df[f"annual_cover{lv}"] = df[f"annual_cover{lv}"].astype("boolean")
    for c in ("status", "reason", "model", "as_of"):
        df[c] = df[c].astype(str)
    float_cols = [c for c in PER_ORIGIN_COLUMNS
                  if c not in {"model", "year", "as_of", "months_known", "status", "reason",
                               "monthly_n"} and not c.startswith("annual_cover")]
    df[float_cols] = df[float_cols].astype(float)
    return df

