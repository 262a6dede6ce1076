"""Forecasting one calendar year from an as-of month: actuals so far plus simulated months.

The year's total is computed path by path (YTD actual + the sum of each path's remaining
months), so months, quarters and the year always agree; interval bounds are never summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.calendar import target_year
from models.core.columns import TARGET
from models.core.errors import DataValidationError, UsageError
from models.core.pipeline import cut_at, fit_model
from models.data.periods import (
    PRODUCED,
    YearToDate,
    cumulative_anchors,
    cut_periods_at,
    month_runs,
    ytd_at,
)


@dataclass(frozen=True)
class YearForecast:
    """Simulated production of one calendar year.

    Attributes:
        year: target calendar year.
        as_of: last month whose actual is used.
        model: zoo name of the model that produced the paths.
        months: the 12 months of the year (PeriodIndex).
        is_actual: bool array (12,), True for the months up to as-of (their output is
            known, from their own figures or from published totals).
        month_paths: array (n_paths, 12) of oz; known months hold the actual in every path.
            A known month without a figure of its own (``is_monthly`` False) holds an even
            share of the published total that covers it, so the year-to-date is exact.
        is_monthly: bool array (12,), True where the month's own figure is known; None
            means ``is_actual``.
        ytd_source: where the year-to-date came from: ``monthly``, ``periods`` or
            ``mixed``.
        ytd_spans: the published figures the year-to-date was formed from.
        known_ends: month ends (0..months known) at which the cumulative output is known;
            None means every one.
        members: for a combination, the members that forecast; else empty.
        declined: for a combination, {member: reason} of those that declined.
    """

    year: int
    as_of: pd.Period
    model: str
    months: pd.PeriodIndex
    is_actual: np.ndarray
    month_paths: np.ndarray
    is_monthly: np.ndarray | None = None
    ytd_source: str = "monthly"
    ytd_spans: tuple[str, ...] = ()
    known_ends: tuple[int, ...] | None = None
    members: tuple[str, ...] = ()
    declined: dict | None = None

    @property
    def annual_paths(self) -> np.ndarray:
        """Annual total per path, shape (n_paths,), oz."""
        return self.month_paths.sum(axis=1)

    @property
    def ytd_oz(self) -> float:
        """Ounces actually produced in the year up to as-of."""
        return float(self.month_paths[0, self.is_actual].sum())

    @property
    def months_actual(self) -> int:
        """How many months of the year are known (0..12)."""
        return int(self.is_actual.sum())

    @property
    def quarter_paths(self) -> np.ndarray:
        """Quarterly totals per path, shape (n_paths, 4), oz."""
        return self.month_paths.reshape(self.month_paths.shape[0], 4, 3).sum(axis=2)


def data_span(history: pd.DataFrame, periods: pd.DataFrame | None) -> tuple[pd.Period,
                                                                          pd.Period]:
    """First and last month the data knows anything about (months or period totals)."""
    first, last = history.index[0], history.index[-1]
    if periods is not None and not periods.empty:
        first, last = min(first, periods["start"].min()), max(last, periods["end"].max())
    return first, last


def known_year_to_date(history: pd.DataFrame, periods: pd.DataFrame | None,
                       as_of: pd.Period, year: int) -> YearToDate:
    """The year's cumulative output at as-of (``models.data.periods.ytd_at``), or a one-line error.

    Raises:
        DataValidationError: neither every month's figure nor a published total gives it.
    """
    ytd = ytd_at(history, periods, as_of, year)
    if ytd is not None:
        return ytd
    months = pd.period_range(f"{year}-01", as_of, freq="M")
    covered = set(history[TARGET].reindex(months).dropna().index)
    if periods is not None and not periods.empty:
        for p in periods.loc[(periods["metric"] == PRODUCED) & (periods["end"] <= as_of)
                             & (periods["start"] >= months[0])].itertuples():
            covered |= set(pd.period_range(p.start, p.end, freq="M"))
    missing = [m for m in months if m not in covered]
    raise DataValidationError(
        f"{history.attrs.get('source', '<data>')}: {TARGET}: the output of {year} to "
        f"{as_of} cannot be formed: covered {month_runs(sorted(covered)) or 'none'}, "
        f"missing {month_runs(missing)} (no monthly figure and no published total ends "
        f"at {as_of}); choose another as-of, or give the period totals")


def known_months(own: np.ndarray, anchors: dict[int, float], ytd_oz: float) -> np.ndarray:
    """The known months' output (oz), shape (n_known,): each month's own figure, and for
    months without one an even share of what the published totals leave for them.

    Between two consecutive known month ends the total is exact (the anchors); only its
    split over the months without a figure of their own is even, so quarters and other
    published spans keep their published totals.
    """
    n = own.size
    ends = sorted(m for m in anchors if m <= n)
    if not ends or ends[-1] != n:
        ends = [*[m for m in ends if m < n], n]
        anchors = {**anchors, n: ytd_oz}
    out = np.where(np.isfinite(own), own, 0.0)
    for lo, hi in zip([0, *ends[:-1]], ends, strict=True):
        gap = ~np.isfinite(own[lo:hi])
        if gap.any():
            rest = anchors[hi] - anchors.get(lo, 0.0) - float(out[lo:hi][~gap].sum())
            out[lo:hi][gap] = max(rest, 0.0) / int(gap.sum())
    return out


def forecast_year(model: ForecastModel, history: pd.DataFrame, as_of: pd.Period,
                  year: int | None = None, *, n_paths: int = 2000, seed: int = 0,
                  periods: pd.DataFrame | None = None,
                  future: pd.DataFrame | None = None) -> YearForecast:
    """Fit ``model`` on what is known at ``as_of`` and simulate the rest of ``year``.

    The year-to-date comes from the months' own figures, or, where a month of the year has
    none, from the period totals that ended by as-of (``known_year_to_date``). The model
    is fitted on the months up to as-of (months never published are NaN rows, never
    filled), or on quarterly totals when it can only use those (``fit_model``).

    Args:
        model: an unfitted zoo model.
        history: validated production frame; months after ``as_of`` are ignored.
        as_of: last known month.
        year: target year; defaults to the year of ``as_of`` (or the next one when as_of is
            December).
        n_paths: number of simulated paths.
        seed: random seed.
        periods: period totals (quarters, years), cut at as_of before use.
        future: scenario for exogenous columns of the future months.
    Returns:
        YearForecast with month_paths of shape (n_paths, 12) in oz.
    Raises:
        UsageError: as_of after the year, or beyond the data.
        DataValidationError: the output of the year up to as_of is unknown.
        ModelDeclined: the model cannot be fitted to this history.
    """
    if year is None:
        year = target_year(as_of)
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M", name="month")
    if as_of >= months[-1]:
        raise UsageError(f"{as_of} is at or after the end of {year}: nothing to forecast",
                         option="as_of")
    first, last = data_span(history, periods)
    if as_of > last:
        raise UsageError(f"{as_of} is after the last month of the data ({last})",
                         option="as_of")
    if as_of < first:
        raise UsageError(f"{as_of} is before the first month of the data ({first})",
                         option="as_of")
    ytd = known_year_to_date(history, periods, as_of, year)
    cut = cut_periods_at(periods, as_of)
    # Months the data covers only through period totals are NaN rows: the model sees that
    # they are unknown, and nothing is filled in.
    span = pd.period_range(min(first, history.index[0]), as_of, freq="M", name="month")
    past = cut_at(history, as_of).reindex(span)
    past.attrs = dict(history.attrs)
    fitted = fit_model(model, past, periods=cut)
    horizon = int((months[-1] - as_of).n)
    paths = fitted.sample_paths(horizon, n_paths, seed, future=future)
    n_known = ytd.months
    own = past[TARGET].reindex(months[:n_known]).to_numpy(dtype=float)
    is_monthly = np.zeros(12, dtype=bool)
    is_monthly[:n_known] = np.isfinite(own)
    anchors = cumulative_anchors(past, cut).get(year, {})
    known = known_months(own, anchors, ytd.oz)
    ends = tuple(sorted({m for m in anchors if m <= n_known} | {0, n_known}))
    month_paths = np.empty((n_paths, 12))
    month_paths[:, :n_known] = known[None, :]
    month_paths[:, n_known:] = paths[:, horizon - (12 - n_known):]
    is_actual = np.arange(12) < n_known
    return YearForecast(year=year, as_of=as_of, model=model.name, months=months,
                        is_actual=is_actual, month_paths=month_paths, is_monthly=is_monthly,
                        ytd_source=ytd.source, ytd_spans=ytd.spans, known_ends=ends,
                        members=tuple(getattr(fitted, "members_used_", ())),
                        declined=dict(getattr(fitted, "declined_", {}) or {}) or None)


#: guidance metrics that are a year's output (compared with the production total); the
#: other, ``sales_usd``, with the year's sales
OUTPUT_METRICS = ("oz", "aueq_oz")


def guidance_rows(guidance: pd.DataFrame | None, year: int, as_of: pd.Period
                  ) -> pd.DataFrame:
    """The guidance announcements for ``year`` made by the end of ``as_of``, oldest first
    (file order among the same day), with a ``low`` and ``high``: columns ``metric, low,
    high, announced`` (a frame with the older ``low_oz``/``high_oz`` and no ``metric``
    reads as ounces); empty when there are none."""
    if guidance is None or guidance.empty:
        return pd.DataFrame(columns=["metric", "low", "high", "announced"])
    g = guidance.rename(columns={"low_oz": "low", "high_oz": "high"})
    if "metric" not in g.columns:
        g = g.assign(metric="oz")
    g = g.loc[(g["year"] == year) & (g["announced"] <= as_of.end_time.normalize())]
    return g.dropna(subset=["low", "high"]).sort_values("announced", kind="stable")


def guidance_in_force(guidance: pd.DataFrame | None, year: int, as_of: pd.Period,
                      metric: str | tuple[str, ...] = OUTPUT_METRICS
                      ) -> tuple[float, float] | None:
    """The guidance range (low, high) for ``year`` announced by the end of ``as_of``.

    Args:
        guidance: the guidance frame (``models.data.tables.load_guidance``: ``year, metric,
            low, high, announced``; see ``guidance_rows`` for older frames).
        year: the target year.
        as_of: the last known month.
        metric: the metric (or metrics) wanted: by default the year's output, in oz or
            oz AuEq; ``"sales_usd"`` for sales guidance (USD).
    Returns:
        (low, high) in the metric's unit, or None when no guidance of that metric applies.
        The latest announcement on or before the last day of the as-of month wins (a
        revision replaces the original).
    """
    metrics = (metric,) if isinstance(metric, str) else metric
    g = guidance_rows(guidance, year, as_of)
    g = g.loc[g["metric"].isin(metrics)]
    if g.empty:
        return None
    row = g.iloc[-1]
    return float(row["low"]), float(row["high"])
