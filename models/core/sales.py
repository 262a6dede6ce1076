"""Sales of a year in US dollars: each ounce path times its own gold price path, times the
plant's ratio of sales to ounces-times-price.

Sales are, to within a few percent, the month's output times the month's average gold
price. What separates them is the *sales ratio* (realised price against the monthly
average, silver sold with the gold, ounces produced in one month and sold in the next). It
is measured on the plant's own history wherever both its published sales (``sales`` totals
in USD) and its output over the same months are known, as the months-weighted mean of the
log ratios of those spans; its spread is that of a quarter's ratio, scaled to the months
still to be sold (a longer stretch averages timing out) plus the uncertainty of the mean.
Without such a history the ratio is 1.0 with ``DEFAULT_RATIO_SD_QUARTER`` and
``DEFAULT_RATIO_SD_MEAN`` (stated in docs/prices.md). Each path draws its own ratio, so the
ratio's uncertainty is in the intervals.

Known sales come first: the year's published sales totals that end by as-of (a quarter,
a half, year-to-date) are the year-to-date where they reach the as-of month; the known
months they do not reach are their ounces times their prices times the ratio. Months,
quarters and the year of sales all come from the same paths, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.core.price_paths import PriceDeck, PricePaths, year_price_paths
from models.core.year import YearForecast
from models.data.periods import (
    PRODUCED,
    SALES,
    cumulative_anchors,
    cut_periods_at,
    year_anchors,
)

#: spread of the log sales ratio of one quarter without a history of the plant's own (the
#: reference plant's quarters, 2012-2016, spread 7-8%; rounded up)
DEFAULT_RATIO_SD_QUARTER = 0.08
#: uncertainty of the ratio's mean without a history: silver credits and realised prices
#: move a gold producer's sales a few percent from ounces times the average price
DEFAULT_RATIO_SD_MEAN = 0.05
#: stream of the seed the ratios are drawn from (apart from the ounces' and the prices')
RATIO_STREAM = 0x5A1E5
#: fewer spans than this give the default quarter spread (the mean is still the plant's)
MIN_RATIO_SPANS = 3


@dataclass(frozen=True)
class SalesRatio:
    """The ratio of sales (USD) to ounces times the month's average price, log-normal.

    Attributes:
        log_mean: mean log ratio (0 = sales are ounces times price).
        sd_quarter: spread of the log ratio of a 3-month span.
        sd_mean: uncertainty of ``log_mean``.
        spans: the spans it was measured on (``2016Q1``-like labels), empty for the default.
        months: months those spans cover.
    """

    log_mean: float
    sd_quarter: float
    sd_mean: float
    spans: tuple[str, ...] = ()
    months: int = 0

    def sd_for(self, months: int) -> float:
        """Spread of the log ratio of a stretch of ``months`` months still to be sold."""
        k = max(int(months), 1)
        return float(np.sqrt(self.sd_quarter**2 * 3.0 / k + self.sd_mean**2))

    @property
    def source(self) -> str:
        """``history`` when measured on the plant's own sales, else ``default``."""
        return "history" if self.spans else "default"

    def describe(self) -> dict:
        """The ratio as annual.json states it (mean ratio, spread of a quarter's log ratio,
        what it was measured on)."""
        return {"mean": round(float(np.exp(self.log_mean)), 4),
                "sd_quarter": round(self.sd_quarter, 4), "sd_mean": round(self.sd_mean, 4),
                "source": self.source, "spans": len(self.spans), "months": self.months}


def _span_value(history: pd.DataFrame | None, prices: pd.Series, year: int, lo: int,
                hi: int, oz: float) -> float | None:
    """Ounces times price (USD) of months ``lo+1..hi`` of ``year``: each month's own figure
    times its price when every month has one, else the span's ounces times the mean price;
    None when a month has no price."""
    months = pd.period_range(f"{year}-{lo + 1:02d}", f"{year}-{hi:02d}", freq="M")
    price = prices.reindex(months).to_numpy(dtype=float)
    if not np.isfinite(price).all():
        return None
    if history is not None and len(history):
        own = history[TARGET].reindex(months).to_numpy(dtype=float)
        if np.isfinite(own).all():
            return float((own * price).sum())
    return float(oz * price.mean())


def sales_ratio(history: pd.DataFrame | None, periods: pd.DataFrame | None,
                prices: pd.Series | None, as_of: pd.Period) -> SalesRatio:
    """The plant's sales ratio measured on what was known at ``as_of`` (see the module).

    Args:
        history: production frame (``gold_oz`` oz per month) or None.
        periods: period totals with ``sales`` (USD) and ``gold_produced`` rows, or None.
        prices: monthly price history (USD/oz) or None.
        as_of: last known month; spans ending after it are not used.
    Returns:
        SalesRatio; the default one when no span has sales, ounces and prices.
    """
    default = SalesRatio(0.0, DEFAULT_RATIO_SD_QUARTER, DEFAULT_RATIO_SD_MEAN)
    if periods is None or periods.empty or prices is None or not len(prices):
        return default
    cut = cut_periods_at(periods, as_of)
    past = history.loc[history.index <= as_of] if history is not None else None
    sales = cumulative_anchors(None, cut, SALES)
    output = cumulative_anchors(past, cut, PRODUCED)
    logs, weights, labels = [], [], []
    for year, s in sorted(sales.items()):
        a = output.get(year, {})
        ends = sorted(set(s) & set(a))
        for lo, hi in zip(ends[:-1], ends[1:], strict=False):
            oz = a[hi] - a[lo]
            value = _span_value(past, prices, year, lo, hi, oz) if oz > 0 else None
            usd = s[hi] - s[lo]
            if value is None or value <= 0 or usd <= 0:
                continue
            logs.append(np.log(usd / value))
            weights.append(hi - lo)
            labels.append(f"{year}-{lo + 1:02d}..{year}-{hi:02d}")
    if not logs:
        return default
    x, w = np.asarray(logs), np.asarray(weights, dtype=float)
    mean = float(np.average(x, weights=w))
    if len(x) >= MIN_RATIO_SPANS:
        # a span of k months is taken as k/3 independent quarters: its deviation times
        # sqrt(k/3) is a quarter's
        z = (x - mean) * np.sqrt(w / 3.0)
        sd_q = float(np.sqrt((z**2).sum() / (len(x) - 1)))
    else:
        sd_q = DEFAULT_RATIO_SD_QUARTER
    sd_mean = float(sd_q * np.sqrt(3.0 / w.sum()))
    return SalesRatio(mean, sd_q, sd_mean, tuple(labels), int(w.sum()))


@dataclass(frozen=True)
class SalesForecast:
    """Simulated sales of one calendar year (USD), path for path with the ounces.

    Attributes:
        year: target year.
        months: the 12 months.
        month_paths: array (n_paths, 12) USD; months up to the last published sales total
            hold that total split by their ounces times price, the same in every path.
        prices: the price paths (n_paths, 12) USD/oz used.
        ratio: the sales ratio drawn from.
        ytd_usd: sales of the year up to as-of (USD; mean over paths where the known
            months' sales are ounces times price).
        ytd_source: ``periods`` (published sales totals reach as-of), ``mixed`` (totals,
            then ounces times price), ``oz_x_price`` or ``none`` (no month known yet).
        ytd_spans: the published sales figures used.
    """

    year: int
    months: pd.PeriodIndex
    month_paths: np.ndarray
    prices: PricePaths
    ratio: SalesRatio
    ytd_usd: float
    ytd_source: str
    ytd_spans: tuple[str, ...] = ()

    @property
    def annual_paths(self) -> np.ndarray:
        """Annual sales per path, shape (n_paths,), USD."""
        return self.month_paths.sum(axis=1)

    @property
    def quarter_paths(self) -> np.ndarray:
        """Quarterly sales per path, shape (n_paths, 4), USD."""
        return self.month_paths.reshape(self.month_paths.shape[0], 4, 3).sum(axis=2)


def forecast_sales(yf: YearForecast, history: pd.DataFrame | None,
                   periods: pd.DataFrame | None, prices: pd.Series | None, *,
                   seed: int = 0, deck: PriceDeck | None = None) -> SalesForecast:
    """Sales of ``yf``'s year: each ounce path times its price path times its drawn ratio.

    Args:
        yf: the year's ounce paths (oz or oz AuEq).
        history: the production frame the forecast used.
        periods: period totals (``sales`` in USD among them), cut at as-of here.
        prices: monthly price history (USD/oz) or None with a deck.
        seed: the forecast's seed (prices and ratios draw from streams of their own).
        deck: planning prices for the months after as-of, or None for the price model.
    Returns:
        SalesForecast with month_paths of shape (n_paths, 12) in USD.
    Raises:
        DataValidationError: a month up to as-of without a price (``year_price_paths``).
    """
    n_paths = yf.month_paths.shape[0]
    pp = year_price_paths(prices, yf.year, yf.as_of, n_paths, seed, deck)
    ratio = sales_ratio(history, periods, prices, yf.as_of)
    n_known = yf.months_actual
    anchors, labels = year_anchors(None, cut_periods_at(periods, yf.as_of), yf.year, SALES)
    published = max(m for m in anchors if m <= n_known)
    value = yf.month_paths * pp.paths
    rng = np.random.default_rng([seed, RATIO_STREAM])
    draws = np.exp(ratio.log_mean + ratio.sd_for(12 - published)
                   * rng.standard_normal(n_paths))
    month_paths = value * draws[:, None]
    ends = sorted(m for m in anchors if m <= published)
    for lo, hi in zip(ends[:-1], ends[1:], strict=False):
        # each published total, split over its months by their ounces times price
        share = value[0, lo:hi] / max(value[0, lo:hi].sum(), 1e-12)
        month_paths[:, lo:hi] = (anchors[hi] - anchors[lo]) * share[None, :]
    ytd = float(month_paths[:, :n_known].sum(axis=1).mean())
    source = ("none" if n_known == 0 else "periods" if published == n_known
              else "mixed" if published else "oz_x_price")
    spans = labels.get(published, ()) if published else ()
    return SalesForecast(yf.year, yf.months, month_paths, pp, ratio, ytd, source, spans)
