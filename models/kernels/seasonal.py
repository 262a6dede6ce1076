"""Shared seasonal helpers of the zoo: the M3 seasonality test, classical multiplicative
decomposition, the rainy-season calendar, and a seasonal log-VAR(1) for ore tonnes.

Seasonal indices are kept per calendar month (January = index 0), not per position in the
series, so a future month is reseasonalised by its month of year whatever the history's start.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

#: months of the Andean rainy season that slow artisanal mining and ore transport
RAINY_MONTHS = (1, 2, 3)
PERIOD = 12


def mean_abs_difference(y: np.ndarray, lag: int) -> float:
    """Mean of |y[t] - y[t-lag]| over the pairs whose two months are known (same unit as y).

    The scale of MASE at ``lag`` (Hyndman & Koehler 2006). NaN when no pair is known.
    """
    y = np.asarray(y, dtype=float)
    if y.size <= lag:
        return float("nan")
    d = np.abs(y[lag:] - y[:-lag])
    d = d[np.isfinite(d)]
    return float(d.mean()) if d.size else float("nan")


def month_of_year(index: pd.PeriodIndex) -> np.ndarray:
    """Calendar month of each period, 0 (January) to 11, shape (n,)."""
    return np.asarray(index.month, dtype=int) - 1


def rainy_flag(index: pd.PeriodIndex) -> np.ndarray:
    """1.0 for months of the rainy season (January-March), else 0.0; shape (n,)."""
    return np.isin(np.asarray(index.month, dtype=int), RAINY_MONTHS).astype(float)


def acf(y: np.ndarray, nlags: int) -> np.ndarray:
    """Sample autocorrelations r_1..r_nlags, shape (nlags,).

    Missing values (NaN) are left out of every sum: the lag-k numerator runs over the pairs
    whose two values are observed (Parzen 1963, amplitude-modulated series); on a gap-free
    series this is the usual estimator.
    """
    y = np.asarray(y, dtype=float)
    obs = np.isfinite(y)
    d = np.where(obs, y - (y[obs].mean() if obs.any() else 0.0), 0.0)
    denom = float(d @ d)
    if denom == 0.0:
        return np.zeros(nlags)
    return np.array([float(d[k:] @ d[:-k]) / denom for k in range(1, nlags + 1)])


def is_seasonal(y: np.ndarray, period: int = PERIOD, level: float = 0.90) -> bool:
    """Seasonality test of the M3 Theta method (Assimakopoulos & Nikolopoulos 2000).

    The series is seasonal when |r_m| > z_{(1+level)/2} * sqrt((1 + 2 sum_{k<m} r_k^2) / n),
    r_k the lag-k autocorrelation (Bartlett's standard error). Needs n >= 2 * period.

    Args:
        y: gap-free series, shape (n,), any unit.
        period: seasonal period in months.
        level: two-sided confidence level (0.90 as in the M3 Theta method).
    Returns:
        True when the lag-``period`` autocorrelation is significant.
    """
    y = np.asarray(y, dtype=float)
    n = int(np.isfinite(y).sum())
    if period < 2 or n < 2 * period:
        return False
    r = acf(y, period)
    se = np.sqrt((1.0 + 2.0 * float(np.sum(r[:-1] ** 2))) / n)
    return bool(abs(r[-1]) > norm.ppf(0.5 + level / 2.0) * se)


def multiplicative_indices(y: np.ndarray, months: np.ndarray,
                           period: int = PERIOD) -> np.ndarray:
    """Classical multiplicative seasonal indices by ratio to a centred 2x12 moving average.

    Method of classical decomposition (Hyndman & Athanasopoulos, FPP3 3.4). NaN months are
    skipped when averaging the ratios; a calendar month with no ratio gets index 1.

    Args:
        y: series, shape (n,), positive (oz or tonnes); NaN allowed.
        months: position in the season (calendar month 0..11) of each value, shape (n,).
        period: seasonal period (a 2 x period moving average when even, period when odd).
    Returns:
        Indices per position, shape (period,), averaging 1.
    """
    y = np.asarray(y, dtype=float)
    weights = (np.r_[0.5, np.ones(period - 1), 0.5] / period if period % 2 == 0
               else np.ones(period) / period)
    half = weights.size // 2
    trend = np.full(y.size, np.nan)
    if y.size > period:
        # NaN anywhere in a window propagates, so gapped windows give no ratio.
        trend[half:y.size - half] = np.convolve(y, weights, mode="valid")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = y / trend
    idx = np.ones(period)
    for m in range(period):
        r = ratio[(months == m) & np.isfinite(ratio)]
        if r.size:
            idx[m] = float(r.mean())
    idx = np.where(idx > 0, idx, 1.0)
    return idx / idx.mean()


def log_ounces(y: np.ndarray, floor_share: float = 0.05) -> tuple[np.ndarray, int]:
    """log(1 + oz) for a log-scale state-space fit, months near zero set to NaN.

    A shutdown month (near-zero ounces) is a huge outlier in logs that would inflate the
    fitted variances; the Kalman filter treats it as unobserved instead.

    Args:
        y: monthly ounces, shape (n,), NaN allowed.
        floor_share: months below this share of the median observed month count as near zero.
    Returns:
        (log values, shape (n,), NaN where missing or near zero; number of months set to NaN).
    """
    y = np.asarray(y, dtype=float)
    floor = floor_share * float(np.nanmedian(y))
    near_zero = np.isfinite(y) & (y <= floor)
    z = np.log1p(np.where(near_zero, np.nan, np.maximum(y, 0.0)))
    return z, int(near_zero.sum())


class SeasonalLogVar:
    """Seasonal VAR(1) on the logs of ore tonnes, for simulating unknown future exogenous paths.

    ``log x_t = s_{month(t)} + z_t``, ``z_t - mu = A (z_{t-1} - mu) + u_t``, ``u_t ~ N(0, S)``:
    month-of-year means ``s`` (when at least 24 months are given), ``mu`` the mean of the last
    twelve months of ``z``, and ``A`` fitted by least squares (Lutkepohl 2005, ch. 3) with its
    spectral radius capped at 0.98 so paths stay stable. The
    columns are simulated jointly, so purchased and processed tonnes stay consistent. A
    scenario value fixes a column in a month; the others are then drawn from their Gaussian
    conditional distribution given it.

    Attributes set by ``fit``: ``columns_``, ``season_`` (12, k), ``c_`` (k,), ``A_`` (k, k),
    ``cov_`` (k, k), ``last_z_`` (k,).
    """

    def fit(self, frame: pd.DataFrame, columns: list[str]) -> SeasonalLogVar:
        """Fit on gap-free positive columns of ``frame`` (tonnes), monthly PeriodIndex."""
        x = np.log(np.maximum(frame[columns].to_numpy(dtype=float), 1.0))
        months = month_of_year(frame.index)
        k = len(columns)
        season = np.zeros((PERIOD, k))
        if len(frame) >= 2 * PERIOD:
            overall = x.mean(axis=0)
            for m in range(PERIOD):
                sel = months == m
                if sel.any():
                    season[m] = x[sel].mean(axis=0) - overall
        z = x - season[months]
        # Revert to the last year's level, not the whole history's: a plant whose capacity
        # grew must not be pulled back toward its early years.
        mean = z[-PERIOD:].mean(axis=0)
        lhs, rhs = z[1:] - mean, z[:-1] - mean
        a = np.linalg.lstsq(rhs, lhs, rcond=None)[0].T
        radius = float(np.max(np.abs(np.linalg.eigvals(a))))
        if radius > 0.98:
            a = a * (0.98 / radius)
        c = mean - a @ mean
        resid = z[1:] - c - z[:-1] @ a.T
        dof = max(len(resid) - k, 1)
        cov = resid.T @ resid / dof
        self.columns_, self.season_, self.c_, self.A_ = list(columns), season, c, a
        self.cov_ = cov + 1e-10 * np.eye(k)
        self.last_z_ = z[-1]
        return self

    def simulate(self, future_months: np.ndarray, n_paths: int, rng: np.random.Generator,
                 known: np.ndarray | None = None) -> np.ndarray:
        """Simulate future tonnes jointly for every column.

        Args:
            future_months: calendar month 0..11 of each future month, shape (h,).
            n_paths: number of paths.
            rng: random generator.
            known: scenario tonnes, shape (h, k), NaN where not given.
        Returns:
            ndarray (n_paths, h, k) of tonnes.
        """
        h, k = future_months.size, len(self.columns_)
        known_log = (np.full((h, k), np.nan) if known is None
                     else np.log(np.maximum(np.asarray(known, dtype=float), 1.0)))
        chol = np.linalg.cholesky(self.cov_)
        z = np.broadcast_to(self.last_z_, (n_paths, k)).copy()
        out = np.empty((n_paths, h, k))
        for t in range(h):
            mean = self.c_ + z @ self.A_.T
            given = np.isfinite(known_log[t])
            u = rng.standard_normal((n_paths, k)) @ chol.T
            if given.any():
                u = self._condition(u, mean, known_log[t] - self.season_[future_months[t]],
                                    given)
            z = mean + u
            if given.any():
                z[:, given] = (known_log[t] - self.season_[future_months[t]])[given]
            out[:, t] = np.exp(z + self.season_[future_months[t]])
            if given.any():
                # Scenario tonnes come back exactly as given, not through exp(log(.)).
                out[:, t, given] = np.maximum(np.asarray(known, dtype=float)[t, given], 1.0)
        return out

    def _condition(self, u: np.ndarray, mean: np.ndarray, z_known: np.ndarray,
                   given: np.ndarray) -> np.ndarray:
        # Gaussian conditioning of the free innovations on the scenario-implied ones.
        free = ~given
        if not free.any():
            return u
        s_fg = self.cov_[np.ix_(free, given)]
        s_gg = self.cov_[np.ix_(given, given)]
        gain = s_fg @ np.linalg.inv(s_gg)
        u_given_implied = z_known[given][None, :] - mean[:, given]
        # Draws from N(gain u_g, S_ff - gain S_gf): unconditional draw, corrected.
        u = u.copy()
        u[:, free] = u[:, free] + (u_given_implied - u[:, given]) @ gain.T
        return u
