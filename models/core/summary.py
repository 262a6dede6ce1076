"""The published numbers of a year forecast: monthly, quarterly and annual tables.

These are the contracts of docs/conventions.md (``monthly.csv``, ``annual.json``); the CLI, the
MLflow pyfunc model and the publishing job all build their outputs here, so they agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.core.paths import guidance_probabilities, quantiles
from models.core.year import YearForecast

MONTHLY_COLUMNS = ["month", "kind", "mean", "p10", "p50", "p90"]
QUARTERLY_COLUMNS = ["quarter", "kind", "mean", "p10", "p50", "p90"]
ANNUAL_KEYS = ["year", "as_of", "months_actual", "ytd_oz", "mean", "p05", "p10", "p50", "p90",
               "p95", "guidance_low", "guidance_high", "prob_below_low", "prob_within",
               "prob_above_high", "model", "members", "ytd_source", "ytd_spans",
               "model_version",
               "data_sha256", "orecast_version"]


def _round(x: float) -> float:
    # Published figures in whole-ish ounces; rounding also keeps outputs byte-stable.
    return float(np.round(x, 1))


def monthly_frame(yf: YearForecast) -> pd.DataFrame:
    """One row per month with a figure of its own or a forecast: ``month, kind, mean, p10,
    p50, p90`` (oz).

    Known months are ``kind=actual`` with all statistics equal to the actual. A month whose
    output is known only through a published total (a quarterly reporter's months) has no
    row: its total is in quarterly.csv and annual.json.
    """
    own = yf.is_actual if yf.is_monthly is None else yf.is_monthly
    shown = own | ~yf.is_actual
    q = quantiles(yf.month_paths, (0.10, 0.50, 0.90))
    mean = yf.month_paths.mean(axis=0)
    return pd.DataFrame({
        "month": [str(m) for m, keep in zip(yf.months, shown, strict=True) if keep],
        "kind": np.where(own, "actual", "forecast")[shown],
        "mean": [_round(v) for v in mean[shown]],
        "p10": [_round(v) for v in q[0][shown]],
        "p50": [_round(v) for v in q[1][shown]],
        "p90": [_round(v) for v in q[2][shown]],
    }, columns=MONTHLY_COLUMNS)


def quarter_kinds(yf: YearForecast) -> list[str]:
    """Each quarter's kind: ``actual`` (its total known), ``span`` (inside a published span
    that is not a whole quarter: its share of that span, split evenly), ``partial`` (known
    up to as-of, forecast after) or ``forecast``."""
    known = yf.months_actual
    ends = set(range(known + 1)) if yf.known_ends is None else set(yf.known_ends)
    kinds = []
    for q in range(4):
        lo, hi = 3 * q, 3 * q + 3
        if hi <= known:
            kinds.append("actual" if lo in ends and hi in ends else "span")
        elif lo < known:
            kinds.append("partial")
        else:
            kinds.append("forecast")
    return kinds


def quarterly_frame(yf: YearForecast) -> pd.DataFrame:
    """One row per quarter: ``quarter, kind (actual|span|partial|forecast), mean, p10, p50,
    p90`` (``quarter_kinds``).

    Quarter totals are summed path by path, then summarised (oz).
    """
    qp = yf.quarter_paths
    q = quantiles(qp, (0.10, 0.50, 0.90))
    return pd.DataFrame({
        "quarter": [f"{yf.year}Q{i + 1}" for i in range(4)],
        "kind": quarter_kinds(yf),
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
        "ytd_spans": "; ".join(yf.ytd_spans),
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
