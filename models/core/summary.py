"""The published numbers of a year forecast: monthly, quarterly and annual tables.

These are the contracts of docs/conventions.md (``monthly.csv``, ``annual.json``); the CLI, the
MLflow pyfunc model and the publishing job all build their outputs here, so they agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from models.core.paths import guidance_probabilities, quantiles
from models.core.sales import SalesForecast
from models.core.year import YearForecast

MONTHLY_COLUMNS = ["month", "kind", "mean", "p10", "p50", "p90"]
QUARTERLY_COLUMNS = ["quarter", "kind", "mean", "p10", "p50", "p90"]
ANNUAL_KEYS = ["year", "as_of", "months_actual", "ytd_oz", "mean", "p05", "p10", "p50", "p90",
               "p95", "guidance_low", "guidance_high", "prob_below_low", "prob_within",
               "prob_above_high", "model", "members", "ytd_source", "ytd_spans",
               "model_version",
               "data_sha256", "orecast_version", "measure", "guidance_metric"]
#: the sales columns monthly.csv and quarterly.csv gain when sales are forecast (USD)
SALES_COLUMNS = ["sales_mean", "sales_p10", "sales_p50", "sales_p90"]
#: keys of annual.json's ``sales_usd`` block
SALES_KEYS = ["mean", "p05", "p10", "p50", "p90", "p95", "ytd_usd", "ytd_source",
              "ytd_spans", "guidance_low", "guidance_high", "prob_below_low", "prob_within",
              "prob_above_high", "price_model", "price_deck", "sales_ratio"]


def _round(x: float) -> float:
    # Published figures in whole-ish ounces; rounding also keeps outputs byte-stable.
    return float(np.round(x, 1))


def _sales_columns(paths: np.ndarray, keep: np.ndarray) -> dict[str, list[float]]:
    q = quantiles(paths, (0.10, 0.50, 0.90))
    return {"sales_mean": [_usd(v) for v in paths.mean(axis=0)[keep]],
            "sales_p10": [_usd(v) for v in q[0][keep]],
            "sales_p50": [_usd(v) for v in q[1][keep]],
            "sales_p90": [_usd(v) for v in q[2][keep]]}


def _usd(x: float) -> float:
    # whole dollars: a cent of a forecast is noise, and rounding keeps outputs byte-stable
    return float(np.round(x, 0))


def monthly_frame(yf: YearForecast, sales: SalesForecast | None = None) -> pd.DataFrame:
    """One row per month with a figure of its own or a forecast: ``month, kind, mean, p10,
    p50, p90`` (oz), and with ``sales`` the ``SALES_COLUMNS`` (USD, from the same paths).

    Known months are ``kind=actual`` with all statistics equal to the actual. A month whose
    output is known only through a published total (a quarterly reporter's months) has no
    row: its total is in quarterly.csv and annual.json.
    """
    own = yf.is_actual if yf.is_monthly is None else yf.is_monthly
    shown = own | ~yf.is_actual
    q = quantiles(yf.month_paths, (0.10, 0.50, 0.90))
    mean = yf.month_paths.mean(axis=0)
    frame = pd.DataFrame({
        "month": [str(m) for m, keep in zip(yf.months, shown, strict=True) if keep],
        "kind": np.where(own, "actual", "forecast")[shown],
        "mean": [_round(v) for v in mean[shown]],
        "p10": [_round(v) for v in q[0][shown]],
        "p50": [_round(v) for v in q[1][shown]],
        "p90": [_round(v) for v in q[2][shown]],
    }, columns=MONTHLY_COLUMNS)
    if sales is not None:
        for name, values in _sales_columns(sales.month_paths, shown).items():
            frame[name] = values
    return frame


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


def quarterly_frame(yf: YearForecast, sales: SalesForecast | None = None) -> pd.DataFrame:
    """One row per quarter: ``quarter, kind (actual|span|partial|forecast), mean, p10, p50,
    p90`` (``quarter_kinds``), and with ``sales`` the ``SALES_COLUMNS`` (USD).

    Quarter totals are summed path by path, then summarised (oz).
    """
    qp = yf.quarter_paths
    q = quantiles(qp, (0.10, 0.50, 0.90))
    frame = pd.DataFrame({
        "quarter": [f"{yf.year}Q{i + 1}" for i in range(4)],
        "kind": quarter_kinds(yf),
        "mean": [_round(v) for v in qp.mean(axis=0)],
        "p10": [_round(v) for v in q[0]],
        "p50": [_round(v) for v in q[1]],
        "p90": [_round(v) for v in q[2]],
    }, columns=QUARTERLY_COLUMNS)
    if sales is not None:
        for name, values in _sales_columns(sales.quarter_paths, np.ones(4, bool)).items():
            frame[name] = values
    return frame


def guidance_odds(annual: np.ndarray, guidance: tuple[float, float] | None
                  ) -> dict[str, Any]:
    """``guidance_low, guidance_high`` and the three odds of a total's paths against a
    range (oz, oz AuEq or USD: the paths' unit); {} without guidance (the keys stay null)."""
    if guidance is None:
        return {}
    low, high = guidance
    return {"guidance_low": float(low), "guidance_high": float(high),
            **{k: round(v, 4) for k, v in guidance_probabilities(annual, low, high).items()}}


def annual_summary(yf: YearForecast, guidance: tuple[float, float] | None = None, *,
                   model_version: str | None = None, data_sha256: str | None = None,
                   orecast_version: str | None = None, measure: str = "oz",
                   guidance_metric: str | None = None) -> dict[str, Any]:
    """The ``annual.json`` record: the year's total distribution and guidance odds (oz, or
    oz AuEq where the data is: ``measure``).

    Args:
        yf: the year forecast.
        guidance: (low, high) of the output guidance in force (oz or oz AuEq), or None
            (guidance fields are then null).
        model_version, data_sha256, orecast_version: provenance, copied as given.
        measure: the unit of the year's output, ``oz`` or ``oz AuEq``.
        guidance_metric: the metric of the guidance the year is judged on (``oz``,
            ``aueq_oz``, ``sales_usd``), or None when there is none.
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
        "measure": measure,
        "guidance_metric": guidance_metric,
    }
    out.update(guidance_odds(annual, guidance))
    return {k: out[k] for k in ANNUAL_KEYS}


def sales_summary(sf: SalesForecast, guidance: tuple[float, float] | None = None
                  ) -> dict[str, Any]:
    """annual.json's ``sales_usd`` block: the year's sales distribution (USD), where the
    year-to-date came from, the sales guidance odds, and the price model or deck and sales
    ratio used.

    Args:
        sf: the sales forecast (paired path for path with the ounces).
        guidance: (low, high) of sales guidance in force (USD), or None.
    Returns:
        dict with exactly the keys of ``SALES_KEYS``.
    """
    annual = sf.annual_paths
    q = quantiles(annual)
    deck = sf.prices.sigma is None
    out: dict[str, Any] = {
        "mean": _usd(float(annual.mean())),
        "p05": _usd(q[0]), "p10": _usd(q[1]), "p50": _usd(q[2]), "p90": _usd(q[3]),
        "p95": _usd(q[4]),
        "ytd_usd": _usd(sf.ytd_usd), "ytd_source": sf.ytd_source,
        "ytd_spans": "; ".join(sf.ytd_spans),
        "guidance_low": None, "guidance_high": None,
        "prob_below_low": None, "prob_within": None, "prob_above_high": None,
        "price_model": None if deck else sf.prices.model,
        "price_deck": sf.prices.model if deck else None,
        "sales_ratio": sf.ratio.describe(),
    }
    out.update(guidance_odds(annual, guidance))
    return {k: out[k] for k in SALES_KEYS}
