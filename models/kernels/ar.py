"""A seasonal log-VAR(1) of ore tonnes: simulated future purchases and milling for the
models that read them when no scenario is given."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.core.calendar import month_of_year
from models.kernels.seasonal import PERIOD


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
