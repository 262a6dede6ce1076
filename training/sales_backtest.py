"""Scoring the sales forecast (USD) at the backtest's origins, against the sales run-rate
and the sales guidance.

At every origin where a model forecast the year (``BacktestResult.forecasts``), the year's
sales are known (its published ``sales`` totals reach December) and the price history
reaches the origin, the origin's ounce paths are turned into sales paths exactly as a
forecast does (``models.core.sales.forecast_sales``: prices and ratios from what was known
at the origin) and scored: APE of the median, inside the 80% interval. Next to it the
run-rate, the year-to-date sales times 12 over the months known (what a reader of the
quarterly report would extrapolate), from origins with at least one month known.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import numpy as np
import pandas as pd

from models.core.errors import DataValidationError
from models.core.sales import forecast_sales
from models.core.year import YearForecast, guidance_in_force
from models.data.inputs import Inputs
from models.data.periods import SALES, cumulative_anchors
from training.backtest import BacktestResult
from training.scoring import QUARTER_ENDS

log = logging.getLogger(__name__)
#: the training job's logger: its summary line is one of the job's own
train_log = logging.getLogger("training.train")

SALES_COLUMNS = ["model", "year", "as_of", "months_known", "actual_usd", "p10", "p50", "p90",
                 "ytd_usd", "ytd_source", "ape", "cover80", "runrate_usd", "runrate_ape",
                 "guidance_low", "guidance_high", "guidance_ape"]


def sales_backtest(forecasts: Mapping[tuple[str, str], YearForecast],
                   history: pd.DataFrame, periods: pd.DataFrame | None,
                   prices: pd.Series | None, guidance: pd.DataFrame | None = None, *,
                   model: str | None = None, seed: int = 0) -> pd.DataFrame:
    """One row per (model, origin) whose year's sales are known: the sales forecast's
    median, 80% interval and APE (%), the run-rate's and the sales guidance midpoint's.

    Args:
        forecasts: {(model, as_of): YearForecast} of a backtest.
        history: the production frame backtested.
        periods: period totals with the ``sales`` rows (USD).
        prices: monthly price history (USD/oz).
        guidance: guidance frame; its ``sales_usd`` rows are scored by their midpoint.
        model: score only this model's forecasts (None: every model's).
        seed: seed of the price and ratio draws.
    Returns:
        Frame of ``SALES_COLUMNS`` (USD, APE in percent), oldest origin first.
    """
    if periods is None or prices is None:
        return pd.DataFrame(columns=SALES_COLUMNS)
    actual = {y: a[12] for y, a in cumulative_anchors(None, periods, SALES).items()
              if 12 in a}
    rows = []
    for (name, as_of_text), yf in sorted(forecasts.items(), key=lambda kv: kv[0][1]):
        if (model is not None and name != model) or yf.year not in actual:
            continue
        try:
            sf = forecast_sales(yf, history, periods, prices, seed=seed)
        except DataValidationError as exc:
            log.debug("sales backtest: %s at %s: %s", name, as_of_text, exc)
            continue
        truth = float(actual[yf.year])
        p10, p50, p90 = np.quantile(sf.annual_paths, (0.1, 0.5, 0.9))
        n = yf.months_actual
        runrate = sf.ytd_usd * 12.0 / n if n else np.nan
        g = guidance_in_force(guidance, yf.year, yf.as_of, "sales_usd")
        mid = np.nan if g is None else 0.5 * (g[0] + g[1])
        rows.append({
            "model": name, "year": yf.year, "as_of": as_of_text, "months_known": n,
            "actual_usd": truth, "p10": float(p10), "p50": float(p50), "p90": float(p90),
            "ytd_usd": sf.ytd_usd, "ytd_source": sf.ytd_source,
            "ape": 100.0 * abs(p50 - truth) / truth, "cover80": bool(p10 <= truth <= p90),
            "runrate_usd": runrate,
            "runrate_ape": 100.0 * abs(runrate - truth) / truth if n else np.nan,
            "guidance_low": np.nan if g is None else g[0],
            "guidance_high": np.nan if g is None else g[1],
            "guidance_ape": 100.0 * abs(mid - truth) / truth if g is not None else np.nan})
    return pd.DataFrame(rows, columns=SALES_COLUMNS)


def sales_scores(frame: pd.DataFrame) -> dict[str, float]:
    """Summary metrics of ``sales_backtest`` at the quarter-end origins with a month known
    (3, 6 and 9 months: where a run-rate exists): mean APE of the median and of the
    run-rate (%), their ratio, and the share inside the 80% interval (%).

    Returns:
        {} when no such origin was scored; else ``sales_ape``, ``sales_runrate_ape``,
        ``sales_ape_ratio``, ``sales_cover80``, ``sales_n_origins``.
    """
    q = frame.loc[frame["months_known"].isin([m for m in QUARTER_ENDS if m > 0])]
    if q.empty:
        return {}
    ape, runrate = float(q["ape"].mean()), float(q["runrate_ape"].mean())
    return {"sales_ape": ape, "sales_runrate_ape": runrate,
            "sales_ape_ratio": ape / runrate if runrate > 0 else float("nan"),
            "sales_cover80": 100.0 * float(q["cover80"].mean()),
            "sales_n_origins": float(len(q))}


def log_sales_scores(result: BacktestResult, best: str, data: Inputs, seed: int) -> None:
    """Score the chosen procedure's sales forecast (USD) where the year's sales are known
    (``training.sales_backtest``) and log it to the active run: ``sales_ape``,
    ``sales_runrate_ape``, ``sales_ape_ratio``, ``sales_cover80`` (percent) and the table
    ``backtest/sales.csv``; nothing when no origin has known sales."""
    import mlflow

    from training.tracking import log_table_csv

    frame = sales_backtest(result.forecasts, data.history, data.periods, data.prices,
                           data.guidance, model=best, seed=seed)
    scores = sales_scores(frame)
    if scores:
        log_table_csv(frame, "backtest/sales.csv")
        mlflow.log_metrics(scores)
        train_log.info("train: sales of %s at %d quarter-end origins: APE %.1f%% (run-rate %.1f%%), "
                 "80%% range held %.0f%%", best, int(scores["sales_n_origins"]),
                 scores["sales_ape"], scores["sales_runrate_ape"], scores["sales_cover80"])
