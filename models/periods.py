"""Period totals: the one place that turns published spans into cumulative output.

A plant publishes monthly figures and period totals (quarters, halves, year-to-date,
years; Dynacor also the Q1 share of annual output). Everything orecast knows about a year's
output at a month end comes from here: the cumulative output at each known month end of
each year (``cumulative_anchors``), the years whose total is known (``annual_totals``), the
year-to-date at an as-of month (``ytd_at``) and the quarterly series those anchors define
(``quarterly_series``). Nothing here fills a month in: a month with no figure of its own
stays unknown, only the cumulative at the ends of published spans is known.

The periods frame is ``models.data.load_periods``'s: ``period``, ``start``/``end`` (monthly
Periods), ``metric``, ``value``, optional ``release_date``. Of two rows for the same span
and metric that disagree (a restatement), the latest ``release_date`` wins; undated rows
count as oldest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.base import TARGET

PRODUCED = "gold_produced"
Q1_SHARE = "q1_share_of_annual"

#: {year: {month end 0..12: cumulative oz since January}}, with cum(0) = 0
Anchors = dict[int, dict[int, float]]


def latest_rows(periods: pd.DataFrame | None, metric: str = PRODUCED) -> pd.DataFrame:
    """Rows of ``metric``, one per (start, end) span: the latest release of each span."""
    if periods is None or periods.empty:
        return pd.DataFrame(columns=["start", "end", "value"])
    rows = periods.loc[periods["metric"] == metric].copy()
    if "release_date" in rows.columns:
        rows["_released"] = pd.to_datetime(rows["release_date"].astype(str), format="ISO8601",
                                           errors="coerce")
    else:
        rows["_released"] = pd.NaT
    rows = rows.sort_values("_released", kind="stable", na_position="first")
    rows = rows.drop_duplicates(["start", "end"], keep="last")
    return rows.drop(columns="_released").sort_values(["start", "end"], kind="stable")


def cumulative_anchors(history: pd.DataFrame | None,
                       periods: pd.DataFrame | None) -> Anchors:
    """Known cumulative output (oz) at month ends of every year, from months and spans.

    Monthly figures give the cumulative at each month end up to a year's first missing
    month. Totals that start in January are direct readings of the cumulative and take
    precedence over chains of shorter spans (which compound any revision between releases);
    other spans chain onto known anchors until nothing new is learned. The Q1 share gives
    the March cumulative of a year whose total is known, and with the total known, trailing
    known months give the cumulative before them.

    Args:
        history: production frame (monthly PeriodIndex, ``gold_oz`` oz) or None.
        periods: period totals frame or None.
    Returns:
        {year: {month 0..12: cumulative oz}}; a month is present only when known.
    """
    anchors: Anchors = {}
    monthly: dict[int, dict[int, float]] = {}
    if history is not None and len(history):
        for period, value in history[TARGET].items():
            monthly.setdefault(period.year, {})[period.month] = float(value)
    for year, months in monthly.items():
        a = anchors.setdefault(year, {0: 0.0})
        cum = 0.0
        for m in range(1, 13):
            v = months.get(m, np.nan)
            if not np.isfinite(v):
                break
            cum += v
            a[m] = cum

    prod = latest_rows(periods)
    spans = [(p.start, p.end, float(p.value)) for p in prod.itertuples()
             if p.start.year == p.end.year and np.isfinite(p.value)]
    for start, end, value in spans:
        if start.month == 1:
            anchors.setdefault(start.year, {0: 0.0}).setdefault(end.month, value)
    # A month's own figure is a one-month span: it chains onto published totals too.
    spans += [(pd.Period(f"{y}-{m:02d}", "M"),) * 2 + (v,)
              for y, months in monthly.items() for m, v in months.items() if np.isfinite(v)]
    changed = True
    while changed:
        changed = False
        for start, end, value in spans:
            a = anchors.setdefault(start.year, {0: 0.0})
            lo, hi = start.month - 1, end.month
            if lo in a and hi not in a:
                a[hi] = a[lo] + value
                changed = True
            elif hi in a and lo not in a:
                a[lo] = a[hi] - value
                changed = True
    for p in latest_rows(periods, Q1_SHARE).itertuples():
        a = anchors.setdefault(p.start.year, {0: 0.0})
        if 12 in a and 3 not in a and np.isfinite(p.value):
            a[3] = a[12] * float(p.value) / 100.0

    for year, months in monthly.items():
        a = anchors.get(year, {})
        if 12 not in a:
            continue
        tail = 0.0
        for m in range(12, 0, -1):
            v = months.get(m, np.nan)
            if not np.isfinite(v):
                break
            tail += v
            a.setdefault(m - 1, a[12] - tail)
    return anchors


def annual_totals(history: pd.DataFrame | None, periods: pd.DataFrame | None) -> dict[int, float]:
    """{year: total oz} for every year whose total is known (12 months or published spans)."""
    return {y: a[12] for y, a in sorted(cumulative_anchors(history, periods).items()) if 12 in a}


def cut_periods_at(periods: pd.DataFrame | None, as_of: pd.Period) -> pd.DataFrame | None:
    """Period totals whose span ended on or before ``as_of`` (None stays None)."""
    if periods is None:
        return None
    return periods.loc[periods["end"] <= as_of]


@dataclass(frozen=True)
class YearToDate:
    """The cumulative output of a year at an as-of month, and where it came from.

    Attributes:
        oz: cumulative ounces from January to the as-of month (0 before January).
        months: months of the year covered (0..12).
        source: ``monthly`` (every month's own figure), ``periods`` (published totals).
    """

    oz: float
    months: int
    source: str


def ytd_at(history: pd.DataFrame | None, periods: pd.DataFrame | None, as_of: pd.Period,
           year: int) -> YearToDate | None:
    """Cumulative output of ``year`` at the end of ``as_of``, using only what was known then.

    Monthly figures are used when every month of the year up to as-of has one; otherwise
    the period totals that ended by as-of (cut there) are chained. None when neither gives
    it.
    """
    if as_of.year < year:
        return YearToDate(0.0, 0, "monthly")
    m = as_of.month
    if history is not None and len(history):
        months = pd.period_range(f"{year}-01", as_of, freq="M")
        known = history[TARGET].reindex(months)
        if known.notna().all():
            return YearToDate(float(known.sum()), m, "monthly")
    past = history.loc[history.index <= as_of] if history is not None else None
    a = cumulative_anchors(past, cut_periods_at(periods, as_of)).get(year, {})
    if m in a:
        return YearToDate(float(a[m]), m, "periods")
    return None


def quarterly_series(history: pd.DataFrame | None, periods: pd.DataFrame | None,
                     as_of: pd.Period) -> pd.Series:
    """Quarterly output (oz) up to the quarter ending at ``as_of``, NaN where unknown.

    A quarter is known when the cumulative of its year is known at both its ends (from
    months or spans that ended by as-of). Index: quarterly PeriodIndex from the first
    quarter of the earliest year with an anchor.
    """
    past = history.loc[history.index <= as_of] if history is not None else None
    anchors = cumulative_anchors(past, cut_periods_at(periods, as_of))
    years = [y for y, a in anchors.items() if len(a) > 1]
    if not years:
        return pd.Series(dtype=float, index=pd.PeriodIndex([], freq="Q"))
    index = pd.period_range(f"{min(years)}Q1", as_of.asfreq("Q"), freq="Q")
    values = []
    for q in index:
        a = anchors.get(q.year, {})
        lo, hi = 3 * (q.quarter - 1), 3 * q.quarter
        values.append(a[hi] - a[lo] if lo in a and hi in a else np.nan)
    return pd.Series(values, index=index, name=TARGET, dtype=float)
