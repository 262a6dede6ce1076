"""Forecasting one calendar year from an as-of month: actuals so far plus simulated months.

The year's total is computed path by path (YTD actual + the sum of each path's remaining
months), so months, quarters and the year always agree; interval bounds are never summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models.base import TARGET, ForecastModel
from models.errors import DataValidationError, UsageError
from models.pipeline import cut_at, cut_periods_at, fit_model


@dataclass(frozen=True)
class YearForecast:
    """Simulated production of one calendar year.

    Attributes:
        year: target calendar year.
        as_of: last month whose actual is used.
        model: zoo name of the model that produced the paths.
        months: the 12 months of the year (PeriodIndex).
        is_actual: bool array (12,), True where the month's figure is known.
        month_paths: array (n_paths, 12) of oz; known months hold the actual in every path.
    """

    year: int
    as_of: pd.Period
    model: str
    months: pd.PeriodIndex
    is_actual: np.ndarray
    month_paths: np.ndarray

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


def target_year(as_of: pd.Period) -> int:
    """The year forecast from ``as_of`` by default: its own, or the next when it is December."""
    return as_of.year + 1 if as_of.month == 12 else as_of.year


def parse_month(text: str, field: str = "--as-of") -> pd.Period:
    """Parse ``YYYY-MM`` into a monthly Period, or raise a one-line UsageError."""
    try:
        if len(text) != 7 or text[4] != "-":
            raise ValueError
        return pd.Period(text, freq="M")
    except (ValueError, TypeError):
        raise UsageError(f"{field}: expected a month as YYYY-MM, got {text!r}") from None


def forecast_year(model: ForecastModel, history: pd.DataFrame, as_of: pd.Period,
                  year: int | None = None, *, n_paths: int = 2000, seed: int = 0,
                  periods: pd.DataFrame | None = None,
                  future: pd.DataFrame | None = None) -> YearForecast:
    """Fit ``model`` on months <= ``as_of`` and simulate the rest of ``year``.

    Args:
        model: an unfitted zoo model (it is fitted in place).
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
        DataValidationError: a month of the year up to as_of has no figure.
        ModelDeclined: the model cannot be fitted to this history.
    """
    if year is None:
        year = target_year(as_of)
    months = pd.period_range(f"{year}-01", f"{year}-12", freq="M", name="month")
    if as_of >= months[-1]:
        raise UsageError(f"--as-of {as_of} is at or after the end of {year}: nothing to forecast")
    if as_of > history.index[-1]:
        raise UsageError(f"--as-of {as_of} is after the last month of the data "
                         f"({history.index[-1]})")
    if as_of < history.index[0]:
        raise UsageError(f"--as-of {as_of} is before the first month of the data "
                         f"({history.index[0]})")
    past = cut_at(history, as_of)
    known = past.loc[past.index >= months[0], TARGET]
    if known.isna().any():
        gaps = ", ".join(str(m) for m in known.index[known.isna()])
        raise DataValidationError(
            f"{history.attrs.get('source', '<data>')}: {TARGET}: months {gaps} of {year} "
            f"have no figure; a {year} total needs them (choose an as-of in another year)")
    fit_model(model, past, periods=cut_periods_at(periods, as_of))
    horizon = int((months[-1] - as_of).n)
    paths = model.sample_paths(horizon, n_paths, seed, future=future)
    n_known = len(known)
    month_paths = np.empty((n_paths, 12))
    month_paths[:, :n_known] = known.to_numpy(dtype=float)[None, :]
    month_paths[:, n_known:] = paths[:, horizon - (12 - n_known):]
    is_actual = np.arange(12) < n_known
    return YearForecast(year=year, as_of=as_of, model=model.name, months=months,
                        is_actual=is_actual, month_paths=month_paths)


def guidance_in_force(guidance: pd.DataFrame | None, year: int,
                      as_of: pd.Period) -> tuple[float, float] | None:
    """The guidance range (low_oz, high_oz) for ``year`` announced by the end of ``as_of``.

    The latest announcement on or before the last day of the as-of month wins (a revision
    replaces the original). Returns None when no guidance applies.
    """
    if guidance is None or guidance.empty:
        return None
    g = guidance.loc[(guidance["year"] == year)
                     & (guidance["announced"] <= as_of.end_time.normalize())]
    g = g.dropna(subset=["low_oz", "high_oz"])
    if g.empty:
        return None
    row = g.sort_values("announced", kind="stable").iloc[-1]
    return float(row["low_oz"]), float(row["high_oz"])
