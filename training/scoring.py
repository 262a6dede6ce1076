"""Scoring a year forecast at one origin: the per-origin row (annual APE, CRPS and interval
coverage of the year's total, month-by-month errors of the next months), the guidance in
force scored the same way, and the model x months-known summary.

Point forecasts are the median (p50) of the paths, for the year and for each month: the
median minimises expected absolute error, which is what APE and MAE measure. Ounces (oz)
for totals and quantiles, percent for ``annual_ape`` and ``monthly_smape``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.core.calendar import target_year
from models.core.columns import TARGET
from models.core.year import YearForecast, guidance_in_force
from training import metrics

LEVELS = (50, 80, 90)
ANNUAL_QUANTILES = (0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95)
PER_ORIGIN_COLUMNS = [
    "model", "year", "as_of", "months_known", "evidence", "status", "reason",
    "annual_actual_oz",
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
#: months known at the quarter-end origins (December of the year before, March, June, Sept.)
QUARTER_ENDS = (0, 3, 6, 9)
GUIDANCE = "guidance"


def _empty_row(model: str, year: int, as_of: pd.Period, months_known: int,
               actual: float, evidence: str = "monthly") -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(PER_ORIGIN_COLUMNS, np.nan)
    row.update(model=model, year=year, as_of=str(as_of), months_known=months_known,
               evidence=evidence, status="ok", reason="", annual_actual_oz=actual,
               monthly_n=0)
    for lv in LEVELS:
        row[f"annual_cover{lv}"] = pd.NA
    return row


def score_paths(row: dict[str, Any], yf: YearForecast, history: pd.DataFrame,
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


def origin_row(model: str, as_of: pd.Period, actual: float, evidence: str
               ) -> dict[str, Any]:
    """An unscored per-origin row of ``model`` at ``as_of`` (status ok)."""
    return _empty_row(model, target_year(as_of), as_of, as_of.month % 12, actual, evidence)


def guidance_row(guidance: pd.DataFrame | None, as_of: pd.Period, evidence: str,
                  actual: float) -> dict[str, Any]:
    """Score the guidance in force at ``as_of`` as a uniform distribution on its range."""
    year = target_year(as_of)
    row = origin_row(GUIDANCE, as_of, actual, evidence)
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


def per_origin_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Per-origin rows as the typed ``PER_ORIGIN_COLUMNS`` frame."""
    df = pd.DataFrame(rows, columns=PER_ORIGIN_COLUMNS)
    df["year"] = df["year"].astype(int)
    df["months_known"] = df["months_known"].astype(int)
    df["monthly_n"] = df["monthly_n"].astype(int)
    for lv in LEVELS:
        df[f"annual_cover{lv}"] = df[f"annual_cover{lv}"].astype("boolean")
    for c in ("status", "reason", "model", "as_of", "evidence"):
        df[c] = df[c].astype(str)
    float_cols = [c for c in PER_ORIGIN_COLUMNS
                  if c not in {"model", "year", "as_of", "months_known", "evidence", "status",
                               "reason", "monthly_n"} and not c.startswith("annual_cover")]
    df[float_cols] = df[float_cols].astype(float)
    return df
