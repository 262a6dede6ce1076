"""A year's outlook in the company's own terms: the output forecast (oz or oz AuEq), the
sales forecast (USD) where prices reach, and the guidance odds in the metric the guidance
is given in. The CLI's forecast, the served model and the publication all build their
numbers here, so they agree.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pandas as pd

from models.core.errors import DataValidationError, UsageError
from models.core.price_paths import PriceDeck
from models.core.sales import SalesForecast, forecast_sales
from models.core.summary import annual_summary, monthly_frame, quarterly_frame, sales_summary
from models.core.year import OUTPUT_METRICS, YearForecast, guidance_rows
from models.data.periods import AUEQ, output_measure
from models.data.schema import GUIDANCE_METRICS

log = logging.getLogger(__name__)

#: the guidance metric of each output measure
MEASURE_METRIC = {"oz": "oz", AUEQ: "aueq_oz"}
SALES_METRIC = "sales_usd"


@dataclass(frozen=True)
class Prices:
    """What prices a forecast has: the monthly history (USD/oz) and an optional deck.

    Attributes:
        history: monthly average gold price, or None.
        deck: planning prices for the months after as-of, or None (the price model).
        required: True when sales are asked for (prices or a deck given by the user, or
            guidance in sales): a month without a price is then an error, not a note.
    """

    history: pd.Series | None = None
    deck: PriceDeck | None = None
    required: bool = False


@dataclass(frozen=True)
class GuidanceInForce:
    """The guidance a year is judged on at an as-of month.

    Attributes:
        output: (low, high) of the output guidance (oz or oz AuEq), or None.
        output_metric: ``oz`` or ``aueq_oz`` for ``output``.
        sales: (low, high) USD of the sales guidance, or None.
        metric: the metric of the guidance the year is judged on (the latest announced
            when both apply), or None.
    """

    output: tuple[float, float] | None = None
    output_metric: str | None = None
    sales: tuple[float, float] | None = None
    metric: str | None = None


def guidance_at(guidance: pd.DataFrame | None, year: int, as_of: pd.Period,
                given: tuple[float, float] | None = None,
                given_metric: str = "oz") -> GuidanceInForce:
    """The guidance in force for ``year`` at ``as_of``: a range given on the command line
    (in ``given_metric``) replaces the file's of that metric.

    Args:
        guidance: the guidance frame (``load_guidance``) or None.
        year: the target year.
        as_of: last known month.
        given: a range given directly (``--guidance-range``), or None.
        given_metric: its metric: ``oz``, ``aueq_oz`` or ``sales_usd``.
    """
    if given_metric not in GUIDANCE_METRICS:
        raise UsageError(f"guidance metric: expected one of {', '.join(GUIDANCE_METRICS)}, "
                         f"got {given_metric!r}", option="guidance_metric")
    out = sales = None
    out_metric = None
    if given is not None:
        if given_metric == SALES_METRIC:
            sales = given
        else:
            out, out_metric = given, given_metric
        return GuidanceInForce(out, out_metric, sales, given_metric)
    # the latest announcement of each metric; the year is judged on the metric announced
    # last (sales on a tie), its output guidance on the output metric announced last
    latest = {row.metric: row for row in guidance_rows(guidance, year, as_of).itertuples()}
    for m in OUTPUT_METRICS:
        if m in latest and (out_metric is None
                            or latest[m].announced >= latest[out_metric].announced):
            out_metric = m
    if out_metric is not None:
        out = (float(latest[out_metric].low), float(latest[out_metric].high))
    if SALES_METRIC in latest:
        sales = (float(latest[SALES_METRIC].low), float(latest[SALES_METRIC].high))
    known = [m for m in latest if m in GUIDANCE_METRICS]
    metric = max(known, key=lambda m: (latest[m].announced, m == SALES_METRIC)) \
        if known else None
    return GuidanceInForce(out, out_metric, sales, metric)


@dataclass(frozen=True)
class Outlook:
    """A year's forecast and its published tables.

    Attributes:
        yf: the output paths (oz or oz AuEq).
        sales: the sales paths (USD), or None when no price reaches the as-of month.
        guidance: the guidance judged on.
        annual: the annual.json record (``annual_summary`` keys, plus ``sales_usd``: the
            ``sales_summary`` block or None).
        monthly, quarterly: monthly.csv and quarterly.csv frames (with sales columns when
            sales are forecast).
        measure: ``oz`` or ``oz AuEq``.
    """

    yf: YearForecast
    sales: SalesForecast | None
    guidance: GuidanceInForce
    annual: dict[str, Any]
    monthly: pd.DataFrame
    quarterly: pd.DataFrame
    measure: str


def year_outlook(yf: YearForecast, history: pd.DataFrame | None,
                 periods: pd.DataFrame | None, guidance: GuidanceInForce,
                 prices: Prices | None = None, *, seed: int = 0,
                 model_version: str | None = None, data_sha256: str | None = None,
                 orecast_version: str | None = None) -> Outlook:
    """Sales, guidance odds in the guidance's own metric, and the published tables of
    ``yf``'s year.

    Sales are forecast whenever the price history reaches the as-of month (and every
    known month of the year) or a deck is given; otherwise they are left out with a note,
    unless they are required (``Prices.required`` or sales guidance), which is then a
    one-line error asking for ``--prices`` or a ``--price-deck``.

    Raises:
        DataValidationError: sales are required and a needed month has no price.
    """
    prices = prices or Prices()
    measure = output_measure(history, periods, yf.year)
    need = prices.required or guidance.sales is not None
    sales = None
    try:
        sales = forecast_sales(yf, history, periods, prices.history, seed=seed,
                               deck=prices.deck)
    except DataValidationError as exc:
        if need:
            raise
        log.info("no sales forecast: %s", str(exc).split(": ", 3)[-1])
    if guidance.output_metric and MEASURE_METRIC.get(measure) != guidance.output_metric:
        log.warning("guidance for %d is in %s but the year's output figures are in %s: its "
                    "odds compare the two as they are", yf.year, guidance.output_metric,
                    measure)
    annual = annual_summary(yf, guidance.output, model_version=model_version,
                            data_sha256=data_sha256, orecast_version=orecast_version,
                            measure=measure, guidance_metric=guidance.metric)
    annual["sales_usd"] = None if sales is None else sales_summary(sales, guidance.sales)
    return Outlook(yf, sales, guidance, annual, monthly_frame(yf, sales),
                   quarterly_frame(yf, sales), measure)
