"""Figures of a year forecast: the monthly fan chart and the annual-total distribution.

Figures are ``matplotlib.figure.Figure`` objects on an Agg canvas, without pyplot (no
global state), as the backtest figures are. Saved as PNG without timestamps or software
metadata, so the same forecast gives the same bytes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from forecast.numbers import oz, pct
from models.core.paths import guidance_probabilities, quantiles
from models.core.year import YearForecast

_PNG_METADATA = {"Software": None}


def _figure(figsize: tuple[float, float]) -> Figure:
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


#: size of the month labels of both fan-chart panels (points): twelve "Jan".."Dec" fit the
#: narrower cumulative panel at this size, and both panels read the same
MONTH_LABEL_PT = 8


def _month_labels(months: pd.DatetimeIndex | list) -> list[str]:
    """One label style for the months of a fan chart's panels: ``Jan`` .. ``Dec``."""
    return [m.strftime("%b") for m in months]


def _fan(ax: Axes, x: np.ndarray, q: np.ndarray, color: str,
         median: str = "median forecast") -> None:
    """The 80% and 50% bands and the median of quantiles ``q`` (rows p10, p25, p50, p75,
    p90; columns the points ``x``), in ``color``."""
    ax.fill_between(x, q[0], q[4], color=color, alpha=0.25, label="80% interval")
    ax.fill_between(x, q[1], q[3], color=color, alpha=0.45, label="50% interval")
    ax.plot(x, q[2], color=color, lw=2, label=median)


def fan_chart(yf: YearForecast, guidance: tuple[float, float] | None = None,
              title: str | None = None) -> Figure:
    """Monthly actuals, median forecast and 50%/80% bands; cumulative vs guidance on the right.

    Args:
        yf: the year forecast (month_paths in oz).
        guidance: (low_oz, high_oz) for the year, drawn as a band on the cumulative panel.
        title: figure title; a default names the year and as-of month.
    """
    fig = _figure(figsize=(11, 4.2))
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(1, 13)
    q = quantiles(yf.month_paths, (0.10, 0.25, 0.50, 0.75, 0.90))
    fc = ~yf.is_actual
    if fc.any():
        # Start the bands at the last actual so the fan visibly leaves from it.
        start = max(int(np.flatnonzero(fc)[0]) - 1, 0)
        sl = slice(start, 12)
        _fan(ax, x[sl], q[:, sl], "tab:orange")
    own = yf.is_actual if yf.is_monthly is None else yf.is_monthly
    if own.any():
        ax.plot(x[own], yf.month_paths[0, own], "o-", color="black", lw=2, label="actual")
    spanned = yf.is_actual & ~own
    if spanned.any():
        # Months known only through a published total: the total's monthly average, as a
        # step over the months it covers, never as points of their own.
        ax.step(x[spanned], yf.month_paths[0, spanned], where="mid", color="black", lw=2,
                ls="--", label="published total (monthly average)")
    ax.set_xticks(x, _month_labels(yf.months), fontsize=MONTH_LABEL_PT)
    ax.set_ylabel("gold produced (oz per month)")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)

    cum = np.cumsum(yf.month_paths, axis=1)
    cq = quantiles(cum, (0.10, 0.25, 0.50, 0.75, 0.90))
    _fan(ax2, x, cq, "tab:orange")
    if yf.is_actual.any():
        # Cumulative output is drawn only at the month ends where it is known.
        ends = np.asarray(yf.known_ends if yf.known_ends is not None
                          else range(yf.months_actual + 1))
        ends = ends[ends > 0]
        ax2.plot(ends, cum[0, ends - 1], "o-", color="black", lw=2, label="actual to date")
    # The cumulative fan has the monthly panel's bands; its own legend says so, since a
    # reader may look at this panel alone. Lower right: a cumulative curve leaves it empty.
    ax2.add_artist(ax2.legend(loc="lower right", fontsize=8))
    if guidance is not None:
        # Guidance is a target for the year's total: drawn at December, not as a band
        # over every month (which would read as a monthly target). Its own legend, upper
        # left, where the straight line to it starts low.
        band = ax2.fill_between([11.6, 12.4], guidance[0], guidance[1], color="tab:blue",
                                alpha=0.35, label=f"guidance {oz(guidance[0])}-"
                                f"{oz(guidance[1])} oz (year total)")
        (line,) = ax2.plot([0, 12], [0, 0.5 * (guidance[0] + guidance[1])],
                           color="tab:blue", lw=1, ls="--",
                           label="straight line to its midpoint")
        ax2.legend(handles=[band, line], loc="upper left", fontsize=8)
    ax2.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax2.set_xticks(x, _month_labels(yf.months), fontsize=MONTH_LABEL_PT)
    ax2.set_ylabel("cumulative oz")
    ax2.grid(alpha=0.3)
    fig.suptitle(title or f"{yf.year} gold production, as of {yf.as_of.strftime('%b %Y')} "
                 f"({yf.months_actual} months actual, model {yf.model})")
    fig.tight_layout()
    return fig


def totals_histogram(paths: np.ndarray, ranges: list[tuple[float, float]],
                     figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    """A histogram of simulated annual totals (oz, shape (n_paths,)) on an x range from the
    1st to the 99th percentile widened to show each (low, high) of ``ranges``, so one
    extreme path does not squeeze the picture. The caller draws its marks, then
    ``finish_totals_histogram``."""
    lo, hi = quantiles(paths, (0.01, 0.99))
    for low, high in ranges:
        lo, hi = min(lo, low), max(hi, high)
    pad = 0.03 * max(hi - lo, 1.0)
    fig = _figure(figsize)
    ax = fig.subplots()
    ax.hist(paths, bins=60, range=(lo - pad, hi + pad), color="tab:orange", alpha=0.8,
            label="simulated annual totals")
    ax.set_xlim(lo - pad, hi + pad)
    return fig, ax


def finish_totals_histogram(fig: Figure, ax: Axes, xlabel: str, title: str) -> Figure:
    """Thousands separators, the legend outside the data, labels and title (9 pt)."""
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("simulated paths")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def guidance_chart(yf: YearForecast, guidance: tuple[float, float] | None = None) -> Figure:
    """Histogram of the simulated annual total (oz) with the guidance range and its odds
    (x range: see ``totals_histogram``)."""
    annual = yf.annual_paths
    fig, ax = totals_histogram(annual, [] if guidance is None else [guidance], (7, 4))
    p10, p50, p90 = quantiles(annual, (0.10, 0.50, 0.90))
    ax.axvline(p50, color="black", ls="-", lw=1.2, label=f"median {oz(p50)} oz")
    ax.axvline(p10, color="black", ls=":", lw=1,
               label=f"80% range {oz(p10)}-{oz(p90)} oz")
    ax.axvline(p90, color="black", ls=":", lw=1)
    text = f"median {oz(p50)} oz, 80% range {oz(p10)}-{oz(p90)}"
    if guidance is not None:
        low, high = guidance
        ax.axvspan(low, high, color="tab:blue", alpha=0.25,
                   label=f"guidance {oz(low)}-{oz(high)} oz")
        odds = guidance_probabilities(annual, low, high)
        text += (f"\nP(below {oz(low)}) = {pct(odds['prob_below_low'])}, "
                 f"P(within) = {pct(odds['prob_within'])}, "
                 f"P(above {oz(high)}) = {pct(odds['prob_above_high'])}")
    return finish_totals_histogram(fig, ax, f"{yf.year} total (oz)", text)


def save_png(fig: Figure, path: Path | BinaryIO) -> Path | BinaryIO:
    """Save ``fig`` as PNG (to a file or a binary buffer) without metadata that changes
    between runs."""
    fig.savefig(path, format="png", metadata=_PNG_METADATA)
    return path


#: half the width of one publication's marks on the track-record chart: the guidance in
#: force and the actual are drawn over the month of each as-of, so one publication shows them
_HALF_MONTH = pd.Timedelta(days=15.5)


def _month_end(as_of: str) -> pd.Timestamp:
    """The last day of an as-of month: what a publication knows is the month up to its end."""
    return pd.Period(as_of, freq="M").end_time.normalize()


def _month_end_ticks(ax: Axes, first: pd.Timestamp, last: pd.Timestamp) -> None:
    """Ticks at month ends labelled ``Jun 2017``: every month, or every 2nd, 3rd (quarter
    ends), 6th (half ends) or 12th (December) so at most eight labels fit; one month of
    margin either side."""
    import matplotlib.dates as mdates

    # the months shown, margins included: a tick may fall on either margin's month end
    months = (last.year - first.year) * 12 + last.month - first.month + 3
    step = next((k for k in (1, 2, 3, 6) if math.ceil(months / k) <= 8), 12)
    # Calendar months (quarter ends, ...), not counted from the first as-of: the labels of
    # a folder do not shift as publications are added.
    rule = mdates.rrulewrapper(mdates.MONTHLY, bymonthday=-1,
                               bymonth=[m for m in range(1, 13) if m % step == 0])
    locator = mdates.RRuleLocator(rule)
    if months > 8 * 12:
        # Decades of publications: every year end would crowd the axis again.
        locator = mdates.YearLocator(base=math.ceil(months / 12 / 8), month=12, day=31)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%b %Y"))
    ax.set_xlim(first - pd.Timedelta(days=31), last + pd.Timedelta(days=31))


def track_record_chart(track: pd.DataFrame) -> Figure:
    """The annual P50 and 80% band of every publication at the end of its as-of month, one
    colour per target year, with the guidance in force at each as-of (dashed) and the year's
    actual (dotted) once known, each drawn across the months of its publications so a single
    publication shows them too; ``track`` is ``forecast.publish.track_record.track_record``'s
    frame (oz)."""
    fig = _figure((9, 3.6))
    ax = fig.subplots()
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:purple", "tab:brown", "tab:red"]
    for i, (year, rows) in enumerate(track.groupby("year", sort=True)):
        c = colors[i % len(colors)]
        x = pd.DatetimeIndex([_month_end(a) for a in rows["as_of"]])
        if len(x) > 1:
            ax.fill_between(x, rows["p10"], rows["p90"], color=c, alpha=0.15, lw=0)
        ax.vlines(x, rows["p10"], rows["p90"], color=c, lw=2, alpha=0.5)
        ax.plot(x, rows["p50"], marker="o", ms=4, color=c, label=f"{year}: median, 80% band")
        guided = rows["guidance_low"].notna().to_numpy()
        if guided.any():
            for bound, label in (("guidance_low", None),
                                 ("guidance_high", f"{year}: guidance in force")):
                ax.hlines(rows[bound][guided], x[guided] - _HALF_MONTH,
                          x[guided] + _HALF_MONTH, ls="--", lw=1, color=c, label=label)
        if rows["actual"].notna().any():
            actual = float(rows["actual"].dropna().iloc[0])
            ax.hlines(actual, x[0] - _HALF_MONTH, x[-1] + _HALF_MONTH, ls=":", lw=1.5,
                      color=c, label=f"{year}: actual {oz(actual)}")
    ends = pd.DatetimeIndex([_month_end(a) for a in track["as_of"]])
    if len(ends):
        _month_end_ticks(ax, ends.min(), ends.max())
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel("annual total (oz)")
    ax.set_xlabel("as-of month of the publication (at its end)")
    ax.set_title("Published forecasts of each year's total, by as-of month", fontsize=10)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def revision_waterfall(rev: dict) -> Figure:
    """Waterfall from the previous publication's annual P50 to this one's (oz): one bar per
    part of ``forecast.publish.revision.revision`` (new actuals, revisions, model version,
    re-estimation), rising green, falling red."""
    from forecast.publish.revision import PARTS

    labels = ["previous\n(" + rev["previous_as_of"] + ")", "new actuals", "revised months",
              "model version", "re-estimation", "now"]
    steps = [rev[p] for p in PARTS]
    fig = _figure((7.5, 3.4))
    ax = fig.subplots()
    level = rev["previous_p50"]
    ax.bar(0, level, color="tab:gray")
    for i, step in enumerate(steps, start=1):
        ax.bar(i, step, bottom=level, color="tab:green" if step >= 0 else "tab:red")
        ax.text(i, level + max(step, 0), f"{step:+,.0f}", ha="center", va="bottom", fontsize=8)
        level += step
    ax.bar(len(labels) - 1, rev["p50"], color="tab:blue")
    lo = min(rev["previous_p50"], rev["p50"], *(rev["previous_p50"] + sum(steps[:k])
                                                 for k in range(len(steps) + 1)))
    hi = max(rev["previous_p50"], rev["p50"], *(rev["previous_p50"] + sum(steps[:k])
                                                 for k in range(len(steps) + 1)))
    pad = max(0.1 * (hi - lo), 0.01 * hi, 1.0)
    ax.set_ylim(lo - 2 * pad, hi + 2 * pad)
    ax.set_xticks(range(len(labels)), labels, fontsize=8)
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_ylabel("annual median (oz)")
    ax.set_title(f"Why the forecast moved: {rev['change']:+,.0f} oz since "
                 f"{rev['previous_as_of']}", fontsize=10)
    fig.tight_layout()
    return fig


def sales_chart(sf, guidance: tuple[float, float] | None = None,
                title: str | None = None) -> Figure:
    """Monthly sales (US$ million) with 50%/80% bands, and cumulative sales against the
    sales guidance, from the same paths as the ounces (``models.core.sales``).

    Args:
        sf: the ``SalesForecast`` (month_paths in USD, its price paths).
        guidance: (low, high) USD of sales guidance for the year, or None.
        title: figure title; a default names the year and the price model or deck.
    """
    fig = _figure(figsize=(11, 4.2))
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [3, 2]})
    x = np.arange(1, 13)
    million = sf.month_paths / 1e6
    n_known = sf.prices.n_known
    q = quantiles(million, (0.10, 0.25, 0.50, 0.75, 0.90))
    if n_known < 12:
        sl = slice(max(n_known - 1, 0), 12)
        _fan(ax, x[sl], q[:, sl], "tab:green")
    if n_known:
        # the median: known months without published sales are ounces times price times
        # the ratio, which still differs by path
        ax.plot(x[:n_known], q[2][:n_known], "o-", color="black", lw=2,
                label="known (published sales, or oz x price)")
    ax.set_xticks(x, [m.strftime("%b") for m in sf.months])
    ax.set_ylabel("sales (US$ million per month)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    cq = quantiles(np.cumsum(million, axis=1), (0.10, 0.25, 0.50, 0.75, 0.90))
    _fan(ax2, x, cq, "tab:green", median="median")
    if guidance is not None:
        lo, hi = guidance[0] / 1e6, guidance[1] / 1e6
        ax2.fill_between([11.6, 12.4], lo, hi, color="tab:blue", alpha=0.35,
                         label=f"sales guidance US${lo:,.1f}-{hi:,.1f}M (year)")
    ax2.legend(loc="upper left", fontsize=8)
    ax2.set_xticks(x, [m.strftime("%b") for m in sf.months], fontsize=7)
    ax2.set_ylabel("cumulative sales (US$ million)")
    ax2.grid(alpha=0.3)
    fig.suptitle(title or f"{sf.year} sales (gold price: {sf.prices.model})", fontsize=10)
    fig.tight_layout()
    return fig
