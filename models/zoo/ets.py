"""Exponential smoothing (ETS) state-space models chosen by AICc, with simulated paths.

Hyndman, Koehler, Ord & Snyder (2008), *Forecasting with Exponential Smoothing*; the
statsmodels ``ETSModel`` implementation. Candidates: additive or multiplicative error,
no trend or (damped) additive trend, no / additive / multiplicative seasonality when at
least two full seasons are observed. Multiplicative forms need strictly positive data.
Sample paths come from the fitted model's own simulation (``ETSResults.simulate``), so the
paths carry the state uncertainty the model implies.

A history with missing months is fitted through them instead of being cut after the last
gap: ``ETSModel`` needs every value, so the linear (additive-error) forms are fitted as
state-space models by the Kalman filter (statsmodels
``statespace.exponential_smoothing.ExponentialSmoothing``), which skips the measurement
update of a missing month (Durbin & Koopman 2012, 4.10); the form is chosen by AICc among
no trend / damped trend and no / additive season.
"""

from __future__ import annotations

import logging
import warnings

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel
from statsmodels.tsa.statespace.exponential_smoothing import ExponentialSmoothing

from models.core.base import ForecastModel, observed_target
from models.core.errors import ModelDeclined

log = logging.getLogger(__name__)


def _candidates(y: np.ndarray, m: int, damped_only: bool) -> list[tuple[str, str | None,
                                                                       bool, str | None]]:
    positive = bool(np.all(y > 0))
    errors = ["add", "mul"] if positive else ["add"]
    trends: list[tuple[str | None, bool]] = [(None, False)]
    if y.size >= 10:
        trends += [("add", True)] if damped_only else [("add", False), ("add", True)]
    seasonals: list[str | None] = [None]
    if m > 1 and y.size >= 2 * m + 2:
        seasonals += ["add", "mul"] if positive else ["add"]
    out = []
    for e in errors:
        for t, d in trends:
            for s in seasonals:
                # Additive error with multiplicative season is numerically unstable
                # (Hyndman et al. 2008, 2.5.2): left out, as forecast::ets does.
                if e == "add" and s == "mul":
                    continue
                out.append((e, t, d, s))
    return out


class ETS(ForecastModel):
    """ETS(error, trend, seasonal) selected by AICc; paths by model simulation (oz)."""

    name = "ets"
    # Below a year of data the fitted smoothing parameters are so uncertain that paths
    # which ignore that uncertainty are overconfident (80% intervals covering 12% on the
    # Dynacor 2017 backtest with 8-11 months).
    min_history = 12
    complexity = 2
    handles_missing = True
    fits_quarterly = True

    def __init__(self, *, season_length: int = 12, damped_only: bool = True,
                 max_iter: int = 200):
        self.season_length = season_length
        self.damped_only = damped_only
        self.max_iter = max_iter

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        y = observed_target(history)
        y = y[int(np.flatnonzero(np.isfinite(y))[0]):]
        if not np.all(np.isfinite(y)):
            self._fit_missing(y)
            return
        self.kalman_ = False
        best = None
        for e, t, d, s in _candidates(y, self.season_length, self.damped_only):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    warnings.simplefilter("ignore", RuntimeWarning)
                    mod = ETSModel(y, error=e, trend=t, damped_trend=d, seasonal=s,
                                   seasonal_periods=self.season_length if s else None,
                                   # Heuristic initial states (Hyndman et al. 2008, 2.6.1)
                                   # fit 3-10x faster; short series estimate them.
                                   initialization_method="heuristic" if y.size >= 24
                                   else "estimated")
                    res = mod.fit(disp=False, maxiter=self.max_iter)
            except (ValueError, np.linalg.LinAlgError) as exc:
                log.debug("ETS(%s,%s%s,%s) failed: %s", e, t, "d" if d else "", s, exc)
                continue
            aicc = float(res.aicc)
            if np.isfinite(aicc) and (best is None or aicc < best[0]):
                best = (aicc, res, (e, t, d, s))
        if best is None:
            raise ModelDeclined(f"{self.name}: no ETS form could be fitted to this history")
        self.aicc_, self.result_, spec = best
        e, t, d, s = spec
        self.spec_ = f"ETS({e[0].upper()},{'N' if t is None else 'Ad' if d else 'A'}," \
                     f"{'N' if s is None else s[0].upper()})"
        log.debug("ets selected %s (AICc %.1f)", self.spec_, self.aicc_)

    def _fit_missing(self, y: np.ndarray) -> None:
        """Additive forms through missing values by the Kalman filter, best AICc."""
        m = self.season_length
        n_obs = int(np.isfinite(y).sum())
        trends = [(False, False)] + ([(True, True)] if n_obs >= 10 else [])
        seasons = [None] + ([m] if m > 1 and n_obs >= 2 * m + 2 else [])
        best = None
        for trend, damped in trends:
            for season in seasons:
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        res = ExponentialSmoothing(y, trend=trend, damped_trend=damped,
                                                   seasonal=season).fit(
                            disp=False, maxiter=self.max_iter)
                except (ValueError, np.linalg.LinAlgError) as exc:
                    log.debug("ETS (Kalman) trend=%s season=%s failed: %s", trend, season, exc)
                    continue
                aicc = float(res.aicc)
                if np.isfinite(aicc) and (best is None or aicc < best[0]):
                    best = (aicc, res, (trend, damped, season))
        if best is None:
            raise ModelDeclined(f"{self.name}: no ETS form could be fitted to this history")
        self.aicc_, self.result_, (trend, damped, season) = best
        self.kalman_ = True
        self.spec_ = f"ETS(A,{'Ad' if damped else 'A' if trend else 'N'}," \
                     f"{'A' if season else 'N'}) by Kalman filter"
        log.debug("ets selected %s (AICc %.1f)", self.spec_, self.aicc_)

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """The selected form's point forecast (its recursion without errors), shape
        (horizon,), same unit as the history, floored at 0: free of simulation noise."""
        self._require_fitted("result_")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            point = np.asarray(self.result_.forecast(horizon), dtype=float)
        return np.maximum(np.nan_to_num(point, nan=0.0, posinf=0.0, neginf=0.0), 0.0)

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            # ETSResults and the Kalman filter's MLEResults simulate with the same call.
            sims = self.result_.simulate(nsimulations=horizon, repetitions=n_paths,
                                         anchor="end", rng=rng)
        paths = np.asarray(sims, dtype=float).reshape(horizon, n_paths).T
        # A multiplicative-error path can blow up far out; such a path is not a forecast.
        return np.nan_to_num(paths, nan=0.0, posinf=0.0, neginf=0.0)
