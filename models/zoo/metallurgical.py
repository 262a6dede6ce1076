"""Metallurgical material-balance model: ounces from tonnes milled, head grade and recovery.

    gold_oz = ore_processed_t x head_grade_gpt x recovery_pct / 100 / 31.1035

Milled tonnes are capped by ``capacity_tpd x (days - downtime)`` and fed by purchases and
the stockpile; grade and recovery are mean-reverting AR(1) processes of their own (in log
and logit), or, when they are not published, their product "oz per milled tonne" is one
AR(1) in logs. Purchases (or, without them, milled tonnes) are a share of capacity with a
month-of-year profile and AR(1) noise in logs. AR(1) noise is resampled from the fitted
residuals (residual bootstrap, Stine 1987; Efron & Tibshirani 1993, ch. 8), so supply
shocks in the history keep their heavy tails; the long-run mean of each process is drawn per
path from its sampling distribution, so short histories give wider paths.
"""

from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.columns import GRAMS_PER_TROY_OZ, TARGET
from models.core.scenario import scenario_values

log = logging.getLogger(__name__)

PROCESSED = "ore_processed_t"
PURCHASED = "ore_purchased_t"
GRADE = "head_grade_gpt"
RECOVERY = "recovery_pct"
CAPACITY = "capacity_tpd"
#: fewest months with ore milled and gold poured needed to estimate the yield
MIN_YIELD_MONTHS = 6
#: persistence is capped so that the long-run mean stays identifiable in short histories
PHI_BOUNDS = (-0.5, 0.95)
#: smallest share of rated monthly capacity taken into the log of tonnes
FEED_SHARE_FLOOR = 0.01


class AR1(NamedTuple):
    """AR(1) around a mean: x_t - mu = phi (x_{t-1} - mu) + e_t.

    ``resid`` are the centred in-sample residuals (shape (n-1,)), ``se_mu`` the standard
    error of ``mu`` from the long-run variance, ``last`` the last observed value.
    """

    mu: float
    phi: float
    resid: np.ndarray
    se_mu: float
    last: float


def fit_ar1(x: np.ndarray, ar: bool = True) -> AR1:
    """Least-squares AR(1) of a gap-free series x, shape (n,), n >= 2 (phi = 0 if not ``ar``)."""
    x = np.asarray(x, dtype=float)
    mu = float(x.mean())
    d = x - mu
    denom = float(d[:-1] @ d[:-1])
    phi = float(d[1:] @ d[:-1]) / denom if ar and denom > 0 else 0.0
    if ar:
        # Least squares biases phi toward 0 by about (1 + 3 phi) / n (Kendall 1954).
        phi += (1.0 + 3.0 * phi) / x.size
    phi = float(np.clip(phi, *PHI_BOUNDS))
    e = d[1:] - phi * d[:-1] if ar else d
    e = e - e.mean()
    # Residuals are shrunk by the fitted parameters; rescale to unbiased variance.
    e = e * np.sqrt(e.size / max(e.size - 2, 1))
    sigma = float(np.sqrt(np.mean(e ** 2))) if e.size else 0.0
    se_mu = sigma / (1.0 - phi) / np.sqrt(x.size)
    return AR1(mu, phi, e, se_mu, float(x[-1]))


def ar1_paths(p: AR1, horizon: int, n_paths: int, rng: np.random.Generator,
              level_uncertainty: bool) -> np.ndarray:
    """Paths of an AR(1) from its last value, residuals bootstrapped; shape (n_paths, horizon)."""
    mu = p.mu + p.se_mu * rng.standard_normal(n_paths) if level_uncertainty else \
        np.full(n_paths, p.mu)
    resid = p.resid if p.resid.size else np.zeros(1)
    e = rng.choice(resid, size=(n_paths, horizon), replace=True)
    out = np.empty((n_paths, horizon))
    x = np.full(n_paths, p.last)
    for h in range(horizon):
        x = mu + p.phi * (x - mu) + e[:, h]
        out[:, h] = x
    return out


def _complete(history: pd.DataFrame, col: str, positive: bool = False) -> bool:
    if col not in history.columns:
        return False
    v = history[col].to_numpy(dtype=float)
    ok = np.isfinite(v) & ((v > 0) if positive else (v >= 0))
    return bool(ok.all())


class Metallurgical(ForecastModel):
    """Material balance: purchases -> stockpile -> capped mill -> grade x recovery -> oz."""

    name = "metallurgical"
    uses_exog = True
    handles_missing = False
    required_columns = (TARGET, PROCESSED)
    min_history = 12
    complexity = 6

    def __init__(self, *, downtime_days: float = 2.0, yield_ar: bool = True,
                 level_uncertainty: bool = True, seasonal_shrink: float = 1.0):
        self.downtime_days = downtime_days
        self.yield_ar = yield_ar
        self.level_uncertainty = level_uncertainty
        self.seasonal_shrink = seasonal_shrink

    @classmethod
    def decline_reason(cls, history: pd.DataFrame,
                       min_history: int | None = None) -> str | None:
        """As ``ForecastModel.decline_reason``, plus enough months with ore milled and gold."""
        reason = super().decline_reason(history, min_history)
        if reason is not None:
            return reason
        q = history[PROCESSED].to_numpy(dtype=float)
        if np.any(q < 0):
            return f"needs {PROCESSED!r} >= 0 t, found negative tonnes"
        n = int(np.count_nonzero((q > 0) & (history[TARGET].to_numpy(dtype=float) > 0)))
        if n < MIN_YIELD_MONTHS:
            return f"needs {MIN_YIELD_MONTHS} months with ore milled and gold, has {n}"
        return None

    # -- fitting --------------------------------------------------------------------------
    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        idx = history.index
        days = idx.days_in_month.to_numpy(dtype=float)
        oz = history[TARGET].to_numpy(dtype=float)
        q = history[PROCESSED].to_numpy(dtype=float)
        run_days = np.maximum(days - self.downtime_days, 1.0)

        if _complete(history, CAPACITY, positive=True):
            cap = history[CAPACITY].to_numpy(dtype=float)
            self.capacity_source_ = "data"
        else:
            # Without a rating, the best month shows what the mill can do.
            cap = np.full(q.size, max(float(np.max(q / run_days)), 1.0))
            self.capacity_source_ = "inferred"
        self.capacity_tpd_ = float(cap[-1])
        self.utilisation_max_ = max(1.0, float(np.max(q / (cap * run_days))))

        self.feed_ = PURCHASED if _complete(history, PURCHASED) else PROCESSED
        feed_t = history[self.feed_].to_numpy(dtype=float)
        stock = 0.0
        if self.feed_ == PURCHASED:
            # The yard is never weighed: cumulative purchases less milled tonnes, floored at 0.
            for bought_t, milled_t in zip(feed_t, q, strict=True):
                stock = max(stock + bought_t - milled_t, 0.0)
        self.stockpile_t_ = stock
        # Tonnes as a share of what the rated plant could take in a calendar month, in logs;
        # an idle month is floored so that one stoppage does not dominate the fit.
        r = np.log(np.maximum(feed_t / (cap * days), FEED_SHARE_FLOOR))
        moy = idx.month.to_numpy() - 1
        self.season_ = self._season_profile(r, moy)
        self.feed_ar_ = fit_ar1(r - self.season_[moy])

        has_grade = (_complete(history, GRADE, positive=True)
                     and _complete(history, RECOVERY, positive=True))
        self.mode_ = "grade_recovery" if has_grade else "yield"
        good = (q > 0) & (oz > 0)
        if self.mode_ == "grade_recovery":
            g = history[GRADE].to_numpy(dtype=float)
            rec = np.clip(history[RECOVERY].to_numpy(dtype=float), 0.5, 99.9) / 100.0
            self.grade_ar_ = fit_ar1(np.log(g), self.yield_ar)
            self.recovery_ar_ = fit_ar1(np.log(rec / (1.0 - rec)), self.yield_ar)
            # Ounces poured rarely close exactly on grade x recovery (in-circuit gold,
            # rounding): keep the gap as an iid log factor.
            gap = np.log(oz[good] / (q[good] * g[good] * rec[good] / GRAMS_PER_TROY_OZ))
            self.closure_log_ = gap - gap.mean()
            self.closure_mean_ = float(gap.mean())
        else:
            self.yield_ar_ = fit_ar1(np.log(oz[good] / q[good]), self.yield_ar)
        log.debug("metallurgical fit: mode=%s feed=%s capacity=%.0f tpd (%s) stockpile=%.0f t",
                  self.mode_, self.feed_, self.capacity_tpd_, self.capacity_source_,
                  self.stockpile_t_)

    def _season_profile(self, r: np.ndarray, moy: np.ndarray) -> np.ndarray:
        """Month-of-year effects on log tonnes, shape (12,), shrunk toward 0.

        Needs two full years; each month's mean deviation is shrunk by n / (n + k), k =
        ``seasonal_shrink``, because a month seen twice is mostly noise.
        """
        season = np.zeros(12)
        if r.size < 24:
            return season
        dev = r - r.mean()
        for m in range(12):
            sel = dev[moy == m]
            if sel.size:
                season[m] = sel.mean() * sel.size / (sel.size + self.seasonal_shrink)
        return season - season.mean()

    # -- sampling -------------------------------------------------------------------------
    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        idx = self.future_index(horizon)
        days = idx.days_in_month.to_numpy(dtype=float)
        moy = idx.month.to_numpy() - 1
        cap, bought, fixed_q = scenario_values(future, idx, [CAPACITY, PURCHASED, PROCESSED],
                                               positive=(CAPACITY,)).T
        cap = np.where(np.isfinite(cap), cap, self.capacity_tpd_)
        mill_t = cap * np.maximum(days - self.downtime_days, 0.0) * self.utilisation_max_

        # Draw every process in a fixed order, scenario or not, so paths are reproducible.
        feed = np.exp(ar1_paths(self.feed_ar_, horizon, n_paths, rng, self.level_uncertainty)
                      + self.season_[moy]) * cap * days
        if self.mode_ == "grade_recovery":
            g = np.exp(ar1_paths(self.grade_ar_, horizon, n_paths, rng,
                                 self.level_uncertainty))
            lr = ar1_paths(self.recovery_ar_, horizon, n_paths, rng, self.level_uncertainty)
            closure = rng.choice(self.closure_log_, size=(n_paths, horizon))
            oz_per_t = g / (1.0 + np.exp(-lr)) / GRAMS_PER_TROY_OZ * np.exp(
                self.closure_mean_ + closure)
        else:
            oz_per_t = np.exp(ar1_paths(self.yield_ar_, horizon, n_paths, rng,
                                        self.level_uncertainty))

        processed = np.empty((n_paths, horizon))
        stock = np.full(n_paths, self.stockpile_t_)
        for h in range(horizon):
            supply = np.full(n_paths, bought[h]) if np.isfinite(bought[h]) else feed[:, h]
            if np.isfinite(fixed_q[h]):
                q = np.full(n_paths, fixed_q[h])
            else:
                q = np.minimum(stock + supply, mill_t[h])
            stock = np.maximum(stock + supply - q, 0.0)
            if self.feed_ == PROCESSED and not np.isfinite(bought[h]):
                # Milled tonnes modelled directly: what the mill cannot take was never bought.
                stock = np.zeros(n_paths)
            processed[:, h] = q
        return processed * oz_per_t
