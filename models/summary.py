"""The published numbers of a year forecast: monthly, quarterly and annual tables.

These are the contracts of docs/conventions.md (``monthly.csv``, ``annual.json``); the CLI, the
MLflow pyfunc model and the publishing job all build their outputs here, so they agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.paths import guidance_probabilities, quantiles
from models.year import YearForecast

MONTHLY_COLUMNS = ["month", "kind", "mean", "p10", "p50", "p90"]
QUARTERLY_COLUMNS = ["quarter", "kind", "mean", "p10", "p50", "p90"]
ANNUAL_KEYS = ["year", "as_of", "months_actual", "ytd_oz", "mean", "p05", "p10", "p50", "p90",
               "p95", "guidance_low", "guidance_high", "prob_below_low", "prob_within",
               "prob_above_high", "model", "members", "ytd_source", "model_version",
               "data_sha256", "orecast_version"]


def _round(x: float) -> float:
    # Published figures in whole-ish ounces; rounding also keeps outputs byte-stable.
    return float(np.round(x, 1))


def monthly_frame(yf: YearForecast) -> pd.DataFrame:
    """One row per month of the year: ``month, kind, mean, p10, p50, p90`` (oz).

    Known months are ``kind=actual`` with all statistics equal to the actual; a known month
    without a figure of its own (its output known only through a published total) is
    ``kind=period`` and holds an even share of that total.
    """
    own = yf.is_actual if yf.is_monthly is None else yf.is_monthly
    q = quantiles(yf.month_paths, (0.10, 0.50, 0.90))
    mean = yf.month_paths.mean(axis=0)
    return pd.DataFrame({
        "month": [str(m) for m in yf.months],
        "kind": np.where(own, "actual", np.where(yf.is_actual, "period", "forecast")),
        "mean": [_round(v) for v in mean],
        "p10": [_round(v) for v in q[0]],
        "p50": [_round(v) for v in q[1]],
        "p90": [_round(v) for v in q[2]],
    }, columns=MONTHLY_COLUMNS)


def quarterly_frame(yf: YearForecast) -> pd.DataFrame:
    """One row per quarter: ``quarter, kind (actual|partial|forecast), mean, p10, p50, p90``.

    Quarter totals are summed path by path, then summarised (oz).
    """
    qp = yf.quarter_paths
    q = quantiles(qp, (0.10, 0.50, 0.90))
    known = yf.is_actual.reshape(4, 3)
    kind = np.where(known.all(axis=1), "actual", np.where(known.any(axis=1), "partial",
                                                           "forecast"))
    return pd.DataFrame({
        "quarter": [f"{yf.year}Q{i + 1}" for i in range(4)],
        "kind": kind,
        "mean": [_round(v) for v in qp.mean(axis=0)],
        "p10": [_round(v) for v in q[0]],
        "p50": [_round(v) for v in q[1]],
        "p90": [_round(v) for v in q[2]],
    }, columns=QUARTERLY_COLUMNS)


def annual_summary(yf: YearForecast, guidance: tuple[float, float] | None = None, *,
                   model_version: str | None = None, data_sha256: str | None = None,
                   orecast_version: str | None = None) -> dict[str, Any]:
    """The ``annual.json`` record: the year's total distribution and guidance odds (oz).

    Args:
        yf: the year forecast.
        guidance: (low_oz, high_oz) in force, or None (guidance fields are then null).
        model_version, data_sha256, orecast_version: provenance, copied as given.
    Returns:
        dict with exactly the keys of ``ANNUAL_KEYS``, in that order.
    """
    annual = yf.annual_paths
    q = quantiles(annual)
    out: dict[str, Any] = {
        "year": int(yf.year),
        "as_of": str(yf.as_of),
        "months_actual": yf.months_actual,
        "ytd_oz": _round(yf.ytd_oz),
        "mean": _round(float(annual.mean())),
        "p05": _round(q[0]), "p10": _round(q[1]), "p50": _round(q[2]),
        "p90": _round(q[3]), "p95": _round(q[4]),
        "guidance_low": None, "guidance_high": None,
        "prob_below_low": None, "prob_within": None, "prob_above_high": None,
        "model": yf.model,
        "members": ",".join(yf.members),
        "ytd_source": yf.ytd_source,
        "model_version": model_version,
        "data_sha256": data_sha256,
        "orecast_version": orecast_version,
    }
    if guidance is not None:
        low, high = guidance
        out["guidance_low"], out["guidance_high"] = float(low), float(high)
        out.update({k: round(v, 4) for k, v in
                    guidance_probabilities(annual, low, high).items()})
    return {k: out[k] for k in ANNUAL_KEYS}
