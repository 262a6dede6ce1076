"""Period totals: the one place that turns published spans into cumulative output.

A plant publishes monthly figures and period totals (quarters, halves, year-to-date,
years; Dynacor also the Q1 share of annual output). Everything orecast knows about a year's
output at a month end comes from here: the cumulative output at each known month end of
each year (``cumulative_anchors``), the years whose total is known (``annual_totals``), the
year-to-date at an as-of month (``ytd_at``) and the quarterly series those anchors define
(``quarterly_series``). Nothing here fills a month in: a month with no figure of its own
stays unknown, only the cumulative at the ends of published spans is known.

The periods frame is ``models.data.tables.load_periods``'s: ``period``, ``start``/``end`` (monthly
Periods), ``metric``, ``value``, optional ``release_date``. Of two rows for the same span
and metric that disagree (a restatement), the latest ``release_date`` wins; undated rows
count as oldest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.core.errors import DataValidationError
from models.data.schema import release_stamps

log = logging.getLogger(__name__)

PRODUCED = "gold_produced"
Q1_SHARE = "q1_share_of_annual"
#: sales totals (USD), read for the sales forecast
SALES = "sales"
#: the units a year's output may be in: troy ounces of gold, or gold-equivalent ounces
OZ, AUEQ = "oz", "oz AuEq"

#: {year: {month end 0..12: cumulative oz since January}}, with cum(0) = 0
Anchors = dict[int, dict[int, float]]


def latest_rows(periods: pd.DataFrame | None, metric: str = PRODUCED) -> pd.DataFrame:
    """Rows of ``metric``, one per (start, end) span: the latest release of each span, with
    its parsed ``released_at`` (NaT when undated)."""
    return _releases(periods, metric)[0]


def _releases(periods: pd.DataFrame | None, metric: str = PRODUCED
              ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the latest release of each span of ``metric``, the earlier releases it replaced)."""
    if periods is None or periods.empty:
        empty = pd.DataFrame(columns=["start", "end", "value", "released_at"])
        return empty, empty
    rows = periods.loc[periods["metric"] == metric].copy()
    # Parsed once here; the spans read it (``released_at``, NaT when undated).
    if "release_date" in rows.columns:
        rows["released_at"] = release_stamps(rows["release_date"])
    else:
        rows["released_at"] = pd.NaT
    rows = rows.sort_values("released_at", kind="stable", na_position="first")
    kept = rows.drop_duplicates(["start", "end"], keep="last")
    superseded = rows.loc[~rows.index.isin(kept.index)]
    return kept.sort_values(["start", "end"], kind="stable"), superseded


def _log_restatements(periods: pd.DataFrame | None) -> None:
    """One INFO line counting the figures later releases of the same span replaced (the
    later wins); each at DEBUG."""
    kept, superseded = _releases(periods)
    source = periods.attrs.get("source", "<periods>") if periods is not None else ""
    changed = []
    for old in superseded.itertuples():
        new = kept.loc[(kept["start"] == old.start) & (kept["end"] == old.end)].iloc[0]
        if float(new["value"]) != float(old.value):
            changed.append(getattr(old, "period", ""))
            log.debug("%s: %s %s: %s restated as %s by the later release %s", source,
                      getattr(old, "period", ""), PRODUCED, old.value, new["value"],
                      new.get("release_date", ""))
    if changed:
        log.info("%s: %d figures restated by a later release, the later used (%s)", source,
                 len(changed), ", ".join(dict.fromkeys(changed)))


@dataclass(frozen=True)
class Span:
    """One published figure of a year's output: months ``lo+1..hi`` (month ends ``lo``, ``hi``).

    Attributes:
        year: calendar year.
        lo, hi: month ends 0..12 (``2017Q2`` is lo 3, hi 6).
        oz: the figure.
        label: how it was published (``2017Q2``, ``month 2017-04``).
        released: release date (NaT when unknown); months have none.
        line: line of the periods file (0 for a month's own figure).
        monthly: True for a month's own figure.
    """

    year: int
    lo: int
    hi: int
    oz: float
    label: str
    released: pd.Timestamp
    line: int
    monthly: bool

    def describe(self) -> str:
        """``2017Q2 (18,185 oz, line 9)``."""
        where = f", line {self.line}" if self.line else ""
        return f"{self.label} ({self.oz:,.0f} oz{where})"


@dataclass
class _Derivation:
    anchors: Anchors
    #: {year: {month end: spans that gave it}}
    origin: dict[int, dict[int, tuple[Span, ...]]]
    #: (span, spans of the anchors it contradicts, derived oz) beyond TOLERANCE
    conflicts: list[tuple[Span, tuple[Span, ...], float]]


#: relative disagreement between overlapping figures beyond which they conflict
TOLERANCE = 0.005


def _spans(history: pd.DataFrame | None, periods: pd.DataFrame | None,
           metric: str = PRODUCED) -> list[Span]:
    out = []
    if history is not None and len(history) and metric == PRODUCED:
        for period, value in history[TARGET].items():
            if np.isfinite(value):
                out.append(Span(period.year, period.month - 1, period.month, float(value),
                                f"month {period}", pd.NaT, 0, True))
    prod = latest_rows(periods, metric)
    for p in prod.itertuples():
        if p.start.year != p.end.year or not np.isfinite(p.value):
            continue
        out.append(Span(p.start.year, p.start.month - 1, p.end.month, float(p.value),
                        str(getattr(p, "period", f"{p.start}..{p.end}")), p.released_at,
                        int(getattr(p, "line", 0) or 0), False))
    return out


def _derive(history: pd.DataFrame | None, periods: pd.DataFrame | None,
            metric: str = PRODUCED) -> _Derivation:
    anchors: Anchors = {}
    origin: dict[int, dict[int, tuple[Span, ...]]] = {}
    spans = _spans(history, periods, metric)

    def put(span: Span, month: int, value: float, used: tuple[Span, ...]) -> None:
        anchors.setdefault(span.year, {0: 0.0})[month] = value
        origin.setdefault(span.year, {0: ()})[month] = used

    for s in spans:
        anchors.setdefault(s.year, {0: 0.0})
        origin.setdefault(s.year, {0: ()})
    # Months from January, in order, up to a year's first month without a figure.
    for year in sorted({s.year for s in spans if s.monthly}):
        own = {s.hi: s for s in spans if s.monthly and s.year == year}
        cum, used = 0.0, ()
        for m in range(1, 13):
            if m not in own:
                break
            cum, used = cum + own[m].oz, (*used, own[m])
            put(own[m], m, cum, used)
    # Totals from January are direct readings of the cumulative; they take precedence over
    # chains of shorter spans (which compound any revision between releases).
    for s in spans:
        if not s.monthly and s.lo == 0 and s.hi not in anchors[s.year]:
            put(s, s.hi, s.oz, (s,))
    conflicts = []
    changed = True
    while changed:
        changed = False
        for s in spans:
            a, o = anchors[s.year], origin[s.year]
            if s.lo in a and s.hi not in a:
                put(s, s.hi, a[s.lo] + s.oz, (*o[s.lo], s))
                changed = True
            elif s.hi in a and s.lo not in a:
                put(s, s.lo, a[s.hi] - s.oz, (*o[s.hi], s))
                changed = True
    for s in spans:
        a, o = anchors[s.year], origin[s.year]
        if s.lo in a and s.hi in a and s not in o[s.hi]:
            derived = a[s.hi] - a[s.lo]
            if abs(derived - s.oz) > TOLERANCE * max(abs(s.oz), 1.0):
                others = tuple(dict.fromkeys((*o[s.hi], *o[s.lo])))
                conflicts.append((s, others, derived))
    for p in (latest_rows(periods, Q1_SHARE).itertuples() if metric == PRODUCED else ()):
        a = anchors.setdefault(p.start.year, {0: 0.0})
        if 12 in a and 3 not in a and np.isfinite(p.value):
            a[3] = a[12] * float(p.value) / 100.0
            origin.setdefault(p.start.year, {0: ()})[3] = origin[p.start.year][12]
    # With the annual total known, trailing known months give the cumulative before them.
    for year in {s.year for s in spans if s.monthly}:
        a, o = anchors[year], origin[year]
        if 12 not in a:
            continue
        own = {s.hi: s for s in spans if s.monthly and s.year == year}
        tail, used = 0.0, o[12]
        for m in range(12, 0, -1):
            if m not in own:
                break
            tail, used = tail + own[m].oz, (*used, own[m])
            if m - 1 not in a:
                a[m - 1] = a[12] - tail
                o[m - 1] = used
    return _Derivation(anchors, origin, conflicts)


def cumulative_anchors(history: pd.DataFrame | None, periods: pd.DataFrame | None,
                       metric: str = PRODUCED) -> Anchors:
    """Known cumulative output (oz) at month ends of every year, from months and spans.

    Monthly figures give the cumulative at each month end up to a year's first missing
    month; a month's own figure also counts as a one-month span. Totals that start in
    January are direct readings of the cumulative and take precedence over chains of
    shorter spans (which compound any revision between releases); other spans chain onto
    known anchors until nothing new is learned. The Q1 share gives the March cumulative of
    a year whose total is known, and with the total known, trailing known months give the
    cumulative before them.

    Args:
        history: production frame (monthly PeriodIndex, ``gold_oz`` oz) or None.
        periods: period totals frame or None.
        metric: the period metric: ``gold_produced`` (oz, with the months' own figures)
            or ``sales`` (USD, period totals only).
    Returns:
        {year: {month 0..12: cumulative oz (or USD)}}; a month is present only when known.
    """
    return _derive(history, periods, metric).anchors


def year_anchors(history: pd.DataFrame | None, periods: pd.DataFrame | None, year: int,
                 metric: str = PRODUCED) -> tuple[dict[int, float], dict[int, tuple[str, ...]]]:
    """The known cumulative of ``metric`` at month ends of ``year`` ({0: 0.0} at least) and,
    for each, the published figures it was formed from (``2017Q1``, ``2017-01..2017-06``)."""
    d = _derive(history, periods, metric)
    origin = d.origin.get(year, {})
    labels = {m: tuple(dict.fromkeys(s.label for s in spans)) for m, spans in origin.items()}
    return d.anchors.get(year, {0: 0.0}), labels


def check_nesting(history: pd.DataFrame | None, periods: pd.DataFrame | None) -> None:
    """Refuse a figure larger than a figure of a span that contains it (``Q2`` above ``H1``,
    a quarter above its year, a month's own figure above its quarter), beyond
    ``TOLERANCE``: output cannot be negative, so a part is never more than its whole. Such a
    pair is a typo or a unit slip, and chained it gives a year-to-date above the published
    total (a quarter shown as actual 0).

    Raises:
        DataValidationError: one line naming both figures.
    """
    source = str((periods.attrs.get("source") if periods is not None else None)
                 or "<periods>")
    for metric in (PRODUCED, SALES):
        spans = _spans(history, periods, metric)
        by_year: dict[int, list[Span]] = {}
        for s in spans:
            by_year.setdefault(s.year, []).append(s)
        for year_spans in by_year.values():
            wholes = [w for w in year_spans if not w.monthly]
            for part in year_spans:
                for whole in wholes:
                    if whole is part or not (whole.lo <= part.lo and part.hi <= whole.hi):
                        continue
                    if part.oz > whole.oz + TOLERANCE * max(abs(whole.oz), 1.0):
                        line = part.line or whole.line
                        unit = "USD" if metric == SALES else "oz"
                        raise DataValidationError(
                            f"{source}:{line}: value: {part.label} ({part.oz:,.0f} {unit}) is "
                            f"more than {whole.label} ({whole.oz:,.0f} {unit}, line "
                            f"{whole.line}), which contains it; expected a part no larger "
                            f"than its whole")


def check_consistency(history: pd.DataFrame | None, periods: pd.DataFrame | None) -> None:
    """Refuse figures for the same months that disagree by more than ``TOLERANCE``.

    Restatements (a later release of the same span with another figure) are logged once
    here. A span's figure is compared with the cumulative the other figures give at its ends
    (``Q1 + Q2`` against ``H1``, a year's total against its twelve months). A conflict
    with a month's own figure, or between totals of the same release (or undated ones), is
    an error; between totals of different releases the January totals and the earlier
    derivation win and the other figure is set aside with a logged warning (a restatement
    that changed one total and not the other, as Dynacor's Q4 2016 figure of 20,015 oz in
    January 2018 against its 2016 total).

    Raises:
        DataValidationError: one line naming both figures and their disagreement.
    """
    source = str((periods.attrs.get("source") if periods is not None else None)
                 or "<periods>")
    check_units(history, periods)
    check_nesting(history, periods)
    _log_restatements(periods)
    for span, others, derived in _derive(history, periods).conflicts:
        rel = abs(derived - span.oz) / max(abs(span.oz), 1.0)
        pair = "what " + " and ".join(o.label for o in others if o.hi > o.lo) + " give"
        totals_only = not span.monthly and not any(o.monthly for o in others)
        dated = pd.notna(span.released) and all(pd.notna(o.released) for o in others)
        if totals_only and dated and all(o.released != span.released for o in others):
            log.info("%s: %s disagrees with %s (%.0f oz) by %.1f%%: a restatement in "
                        "another release; the January totals win, %s is not used",
                        source, span.describe(), pair, derived, 100 * rel, span.label)
            continue
        line = f":{span.line}" if span.line else ""
        raise DataValidationError(
            f"{source}{line}: value: {span.describe()} and {pair} ({derived:,.0f} oz) cover "
            f"the same months of {span.year} and disagree by {100 * rel:.1f}%; expected "
            f"figures within {100 * TOLERANCE:.1f}% of each other")


def _month_units(history: pd.DataFrame | None) -> pd.Series:
    """The unit of each month's own figure: the production file's optional ``unit`` column
    (``oz`` or ``oz AuEq``; empty reads as oz), else oz."""
    if history is None or not len(history):
        return pd.Series(dtype=str)
    figures = history[TARGET].dropna()
    if "unit" not in history.columns:
        return pd.Series(OZ, index=figures.index)
    units = history["unit"].reindex(figures.index)
    return units.where(units.notna() & (units.astype(str).str.strip() != "")
                       & (units.astype(str) != "None"), OZ).astype(str).str.strip()


def year_units(history: pd.DataFrame | None, periods: pd.DataFrame | None
               ) -> dict[int, set[str]]:
    """{year: the units its output figures are in}: the months' own figures and the latest
    release of each published span (a later release in AuEq replaces an earlier one in oz)."""
    out: dict[int, set[str]] = {}
    for month, unit in _month_units(history).items():
        out.setdefault(month.year, set()).add(unit)
    for p in latest_rows(periods).itertuples():
        unit = str(getattr(p, "unit", OZ) or OZ)
        for y in range(p.start.year, p.end.year + 1):
            out.setdefault(y, set()).add(unit)
    return out


def output_measure(history: pd.DataFrame | None, periods: pd.DataFrame | None,
                   year: int) -> str:
    """The measure of ``year``'s output: ``oz`` or ``oz AuEq``, from its own figures, else
    from the latest earlier year's (a forecast year without figures yet takes the measure
    the plant last published in); ``oz`` when nothing says."""
    units = year_units(history, periods)
    for y in sorted((y for y in units if y <= year), reverse=True):
        if len(units[y]) == 1:
            return next(iter(units[y]))
    return OZ


def check_units(history: pd.DataFrame | None, periods: pd.DataFrame | None) -> None:
    """Refuse output figures whose units cannot be told apart: a month's ``unit`` that is
    neither oz nor oz AuEq, two figures for one span in different units with no later
    release to say which wins, and a year whose figures mix oz and oz AuEq. A history that
    switches measure between years (oz to oz AuEq, as the reference company did in 2021)
    is valid: each year keeps its unit.

    Raises:
        DataValidationError: one line naming the figures.
    """
    source = str((periods.attrs.get("source") if periods is not None else None)
                 or "<periods>")
    units = _month_units(history)
    bad = units.loc[~units.isin([OZ, AUEQ])]
    if len(bad):
        where = history.attrs.get("source", "<data>") if history is not None else "<data>"
        raise DataValidationError(
            f"{where}: unit: expected 'oz' or 'oz AuEq' for a month's {TARGET}, found "
            f"{bad.iloc[0]!r} at {bad.index[0]}")
    if periods is not None and not periods.empty and "unit" in periods.columns:
        rows = periods.loc[periods["metric"] == PRODUCED].copy()
        stamp = (release_stamps(rows["release_date"]) if "release_date" in rows.columns
                 else pd.Series(pd.NaT, index=rows.index))
        rows["released_at"] = stamp
        for (_start, _end), group in rows.groupby(["start", "end"], sort=False):
            if group["unit"].nunique() < 2:
                continue
            latest = group.loc[group["released_at"] == group["released_at"].max()] \
                if group["released_at"].notna().any() else group
            if latest["unit"].nunique() > 1 or group["released_at"].isna().any():
                a, b = (group.loc[group["unit"] == u].iloc[0]
                        for u in group["unit"].unique()[:2])
                raise DataValidationError(
                    f"{source}:{int(b.get('line', 0) or 0)}: unit: {a['period']} is given in "
                    f"{a['unit']!r} (line {int(a.get('line', 0) or 0)}) and in {b['unit']!r}; "
                    f"expected one unit per span, or a later release_date on the figure "
                    f"that replaces the other")
    for year, found in sorted(year_units(history, periods).items()):
        if len(found) > 1:
            raise DataValidationError(
                f"{source}: unit: the {PRODUCED} figures of {year} mix "
                f"{' and '.join(sorted(found))}; expected one measure per year (a history "
                f"may switch from oz to oz AuEq between years)")


def month_runs(months: list[pd.Period]) -> str:
    """Months as runs: ``2019-01..2019-03, 2019-05``."""
    runs: list[list[pd.Period]] = []
    for m in months:
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    return ", ".join(f"{r[0]}..{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def months_frame(periods: pd.DataFrame) -> pd.DataFrame:
    """A production frame for a plant known only by its period totals: every month of their
    span, ``gold_oz`` empty (no month has a figure of its own); attrs from ``periods``.

    Raises:
        DataValidationError: no ``gold_produced`` total to span.
    """
    prod = periods.loc[periods["metric"] == PRODUCED] if not periods.empty else periods
    source = str(periods.attrs.get("source", "<periods>"))
    if prod.empty:
        raise DataValidationError(f"{source}: metric: expected {PRODUCED} totals to forecast "
                                  f"from, found none")
    index = pd.period_range(prod["start"].min(), prod["end"].max(), freq="M", name="month")
    frame = pd.DataFrame({TARGET: np.full(len(index), np.nan)}, index=index)
    frame.attrs = {"source": source, "sha256": periods.attrs.get("sha256")}
    return frame


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
        source: ``monthly`` (every month's own figure), ``periods`` (published totals) or
            ``mixed`` (totals chained with months' own figures).
        spans: the figures used, e.g. ``("2019Q1", "months 2019-04..2019-05")``.
    """

    oz: float
    months: int
    source: str
    spans: tuple[str, ...] = ()


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
    months = pd.period_range(f"{year}-01", as_of, freq="M")
    if history is not None and len(history):
        known = history[TARGET].reindex(months)
        if known.notna().all():
            return YearToDate(float(known.sum()), m, "monthly", (f"months {month_runs(list(months))}",))
    past = history.loc[history.index <= as_of] if history is not None else None
    d = _derive(past, cut_periods_at(periods, as_of))
    if m not in d.anchors.get(year, {}):
        return None
    used = d.origin[year][m]
    own = [pd.Period(f"{year}-{s.hi:02d}", "M") for s in used if s.monthly]
    totals = [s.label for s in used if not s.monthly]
    spans = (*totals, *([f"months {month_runs(sorted(own))}"] if own else []))
    source = "mixed" if own and totals else "periods" if totals else "monthly"
    return YearToDate(float(d.anchors[year][m]), m, source, spans)


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
