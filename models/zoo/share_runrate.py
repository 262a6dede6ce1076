"""Seasonal-share run-rate: the year's total from what is produced so far.

annual = YTD / s(m), where s(m) is the share of a year's output produced by the end of
month m, learned from past years. Past years' cumulative output at month ends comes from the
monthly history and from published period totals (quarters, half-years, year-to-date,
annual; Dynacor also publishes the Q1 share of annual output). Between two known month ends
of a past year, the cumulative share is interpolated linearly (that year's output assumed
even within the unpublished span) -- used for the share curve only, never written back into
the data.

Uncertainty: the log ratio r(m) = log(annual / cum(m)) is treated as exchangeable across
years, so the predictive for a new year has the variance of the Student-t prediction of a
sample of k (k-1 degrees of freedom, scale sd * sqrt(1 + 1/k); e.g. Hyndman &
Athanasopoulos, FPP3 5.5), drawn as a normal on the log scale so that the annual total has
a finite mean (``_t_draws``). Before a year has any actuals the total is last year's total times a growth
factor drawn from the same kind of predictive over past annual log growth. When both are
available they are combined by precision weighting of the two log estimates, so early in the
year the prior carries more weight and late in the year the run rate dominates.
Remaining ounces are spread over the remaining months by the average monthly profile with
Dirichlet noise, so months add up to the year in every path. With fewer than ``min_years``
past years the shares start from the flat s(m) = m/12, with a prior spread that is wider
than any real plant's (``prior_log_sd``), and the profile is flat.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.columns import TARGET
from models.core.errors import ModelDeclined
from models.data.periods import cumulative_anchors

log = logging.getLogger(__name__)


def _share_curve(a: dict[int, float]) -> np.ndarray:
    """Cumulative share s(0..12) of one past year from its anchors (needs cum(12) > 0)."""
    known = sorted(a)
    return np.interp(np.arange(13), known, [a[m] / a[12] for m in known])


def _t_draws(rng: np.random.Generator, values: np.ndarray, size: int) -> tuple[np.ndarray,
                                                                               float]:
    """Predictive draws (log scale) for a new exchangeable value given a sample; (draws, var).

    The predictive of a new value from a normal sample of k is Student-t with k-1 degrees of
    freedom and scale sd sqrt(1 + 1/k). A t on the log scale has no finite mean once
    exponentiated (its moment generating function does not exist), so the draws are normal
    with the t's variance, sd^2 (1 + 1/k) df / (df - 2), which is finite for df > 2; for
    df <= 2, where it is not, 4 sd^2 (1 + 1/k) stands in (a t with 4 degrees of freedom has
    twice the variance of its scale; twice that again for the thinner evidence). The annual
    total exp(draw) is then log-normal, with a finite mean by construction.
    """
    k = values.size
    mean = float(values.mean())
    if k < 2:
        return np.full(size, mean), np.inf
    sd = float(values.std(ddof=1)) * np.sqrt(1.0 + 1.0 / k)
    df = k - 1
    var = sd**2 * (df / (df - 2.0)) if df > 2 else 4.0 * sd**2
    return mean + np.sqrt(var) * rng.standard_normal(size), var


class SeasonalShareRunRate(ForecastModel):
    """annual = YTD / share-of-year-by-month (learned), blended with a growth prior (oz)."""

    name = "share_runrate"
    handles_missing = True
    uses_periods = True
    # Period totals alone are enough: a year known only by its quarters has no month.
    min_history = 0
    complexity = 1

    def __init__(self, *, min_years: int = 2, month_concentration: float = 150.0,
                 blend_prior: bool = True, prior_log_sd: float = 0.3):
        """Args:
            min_years: past years with a known total below which the shares are not
                estimated from them but start from the flat prior s(m) = m/12.
            month_concentration: Dirichlet concentration of the split of the remaining
                ounces over the remaining months.
            blend_prior: blend the run rate with the growth prior.
            prior_log_sd: standard deviation of log(annual / YTD) under the flat prior at
                January, shrinking linearly to 0 at December (0.3: about +-25% at one
                standard deviation after a quarter, against 0.14 in the reference plant's
                own years: a plant with no seasonal evidence is given wider intervals).
        """
        self.min_years = min_years
        self.month_concentration = month_concentration
        self.blend_prior = blend_prior
        self.prior_log_sd = prior_log_sd

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        as_of = history.index[-1]
        anchors = cumulative_anchors(history, periods)
        self.anchors_ = anchors
        past = {yr: a for yr, a in anchors.items()
                if yr < as_of.year + (as_of.month == 12) and 12 in a and a[12] > 0}
        # The as-of year itself is "past" only when it is complete (as-of = December).
        if as_of.month != 12:
            past.pop(as_of.year, None)
        self.past_years_ = sorted(past)
        self.curves_ = {yr: _share_curve(a) for yr, a in past.items()}
        self.annual_ = {yr: a[12] for yr, a in past.items()}
        self.month_profile_ = self._month_profile(history)
        cur = anchors.get(as_of.year, {0: 0.0})
        self.ytd_ = cur.get(as_of.month) if as_of.month != 12 else 0.0
        if self.ytd_ is None:
            raise ValueError(f"year-to-date output at {as_of} is unknown (gaps in {as_of.year})")
        if as_of.month == 12 and len(self.past_years_) < 3:
            # Before January the total is last year's times a growth drawn from past years'
            # growth: two growth rates at least give it a spread.
            raise ModelDeclined(f"{self.name}: a forecast before January needs 3 past years "
                                f"with a known annual total, has {len(self.past_years_)}")

    def _month_profile(self, history: pd.DataFrame) -> np.ndarray:
        """Average share of each calendar month in a year's output, shape (12,), sums to 1."""
        y = history[TARGET]
        rows = []
        for _year, grp in y.groupby(y.index.year):
            if grp.size == 12 and grp.notna().all() and grp.sum() > 0:
                rows.append(grp.to_numpy() / grp.sum())
        if rows:
            return np.mean(rows, axis=0)
        # No complete year: the quarter-level curves still give a profile.
        if getattr(self, "curves_", None):
            inc = np.mean([np.diff(c) for c in self.curves_.values()], axis=0)
            return inc / inc.sum()
        return np.full(12, 1.0 / 12)

    def _annual_draws(self, year_month: int, ytd: float, last_annual: float | None,
                      n: int, rng: np.random.Generator) -> np.ndarray:
        """Draws of a year's total (oz) given YTD at month ``year_month`` (0 = none known)."""
        est: list[tuple[np.ndarray, float]] = []
        if year_month > 0 and ytd > 0:
            r = np.array([-np.log(self.curves_[y][year_month]) for y in self.past_years_
                          if self.curves_[y][year_month] > 0])
            if r.size >= self.min_years:
                d, v = _t_draws(rng, r, n)
            else:
                d, v = self._flat_prior_draws(year_month, r, n, rng)
            est.append((np.log(ytd) + d, v))
        if last_annual and last_annual > 0 and (self.blend_prior or not est):
            totals = np.array([self.annual_[y] for y in self.past_years_])
            growth = np.diff(np.log(totals[totals > 0]))
            if growth.size >= 2:
                d, v = _t_draws(rng, growth, n)
                est.append((np.log(last_annual) + d, v))
        if not est:
            # A year that starts with zeros after a stoppage: nothing to scale from.
            return np.full(n, ytd)
        if len(est) == 1 or not all(np.isfinite(v) for _, v in est):
            draws = est[0][0]
        else:
            w = np.array([1.0 / v for _, v in est])
            w /= w.sum()
            draws = sum(wi * d for wi, (d, _) in zip(w, est, strict=True))
        return np.maximum(np.exp(draws), ytd)

    def _flat_prior_draws(self, month: int, r: np.ndarray, n: int,
                          rng: np.random.Generator) -> tuple[np.ndarray, float]:
        """log(annual / YTD) draws with too few past years: the flat share m/12.

        The prior mean log(12/m) is averaged with the past years' own values (each counting
        as much as the prior); the spread is the prior's, ``prior_log_sd * (12 - m) / 12``,
        never the narrower one a single year would suggest.
        """
        mean = float(np.mean([np.log(12.0 / month), *r]))
        sd = self.prior_log_sd * (12 - month) / 12
        return mean + sd * rng.standard_normal(n), sd**2

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        months = self.future_index(horizon)
        out = np.empty((n_paths, horizon))
        first = self.last_month_ + 1
        year_month = 0 if first.month == 1 else self.last_month_.month
        ytd = np.full(n_paths, float(self.ytd_) if year_month else 0.0)
        last_annual = np.full(n_paths, self.annual_.get(first.year - 1, np.nan))
        col = 0
        for year in sorted(set(months.year)):
            in_year = [i for i, m in enumerate(months) if m.year == year]
            m0 = year_month if year == first.year else 0
            if m0 == 0:
                annual = np.array([self._annual_draws(0, 0.0, la, 1, rng)[0]
                                   for la in last_annual]) if np.isfinite(last_annual).all() \
                    else None
                if annual is None:
                    annual = np.full(n_paths, float(np.mean(list(self.annual_.values()))))
            else:
                annual = self._annual_draws(m0, float(ytd[0]), float(last_annual[0]),
                                            n_paths, rng)
            remaining = np.maximum(annual - ytd, 0.0)
            prof = self.month_profile_[m0:]
            prof = prof / prof.sum()
            split = rng.dirichlet(np.maximum(prof * self.month_concentration, 1e-3),
                                  size=n_paths)
            year_paths = remaining[:, None] * split
            take = len(in_year)
            out[:, col:col + take] = year_paths[:, :take]
            col += take
            last_annual = annual
            ytd = np.zeros(n_paths)
        return out
