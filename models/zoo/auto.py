"""``auto``: a fixed combination of strong members, the default model of bulk forecasting.

The rule (chosen once, on a holdout inside the M3 training parts, see
BENCHMARKS.md; never per-series and never on test data):

1. Fit each member (default: the Theta method and damped trend smoothing on M3-style
   seasonally adjusted series, the zoo's AICc-selected ETS, the zoo's statsmodels Theta,
   the Dynamic Optimised Theta of Fiorucci et al. 2016 and the damped trend across
   temporal aggregation levels, ``damped_mapa``) to the series. A member that declines or
   fails is left out, with a logged reason; ``auto`` fails only when every member does.
2. Point forecast: the month-by-month ``mean`` (default) or ``median`` of the members'
   point forecasts -- a member's analytic point forecast when it has one, else the mean of
   its paths. Combining beats selecting on average (Makridakis & Hibon 2000; Clemen 1989).
   The first five members and the mean were chosen among every subset of {theta_ses,
   damped, ses, ets, theta, dotm}, median or mean, by sMAPE on the last 18 months of the
   M3 monthly *training* parts (``benchmarks/m3_monthly.py --split holdout --combos``):
   13.43 % (MASE 0.853) there, against 13.47 % (0.861) for the earlier rule with ses
   instead of dotm and 13.76 % for the best single member. ``damped_mapa`` was added later
   after improving ``auto`` (pooled model included) at two holdout origins inside the
   training parts, on both measures (BENCHMARKS.md).
3. In a bulk job of at least 100 series (``forecast.bulk``), the point forecast is
   ``2/3 x`` the members' mean ``+ 1/3 x`` the forecast of the pooled model
   (``models.zoo.pooled``: gradient boosting fitted on windows of every series of the job).
   The weight was chosen on the same holdout among 1/6, 1/4, 1/3, 0.4 and 1/2, by sMAPE:
   13.22 % (MASE 0.833) against 13.43 % (0.853) without the pooled model. A series the
   pooled model cannot describe (a gap in its last 24 months, too short, constant) keeps
   the members' mean. A single plant never has a pooled forecast.
4. Sample paths: the combined point forecast plus one member's deviation from its own
   point forecast, path i taking member ``i mod K``. The spread therefore is the members'
   own forecast uncertainty (a pooled mixture), centred on the combined forecast; it is not
   narrowed by averaging independent simulations.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.errors import ModelDeclined
from models.core.pipeline import history_for
from models.zoo import make_model

log = logging.getLogger(__name__)

DEFAULT_MEMBERS = ("theta_ses", "damped", "ets", "theta", "dotm", "damped_mapa")
#: weight of the pooled model's forecast in a bulk job, chosen on the M3 holdout
POOLED_WEIGHT = 1 / 3


class Auto(ForecastModel):
    """Mean (or median) combination of Theta, damped, ETS, Theta and DOTM; pooled paths (oz)."""

    name = "auto"
    # A year of months at least: fitted on a few months these forms are confidently wrong
    # (80% intervals covering 0-9% of 2017 totals in the Dynacor backtest).
    min_history = 12
    complexity = 8

    def __init__(self, *, members: Sequence[str] = DEFAULT_MEMBERS, combine: str = "mean",
                 season_length: int = 12, point_paths: int = 200,
                 pooled_weight: float = POOLED_WEIGHT):
        """Args:
            point_paths: paths used for the point forecast of members without one.
            pooled_weight: the weight of a pooled forecast (``use_pooled``) against the
                members' combination, in [0, 1].
        """
        self.members = members
        self.combine = combine
        self.season_length = season_length
        self.point_paths = point_paths
        self.pooled_weight = pooled_weight

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        if self.combine not in ("median", "mean"):
            raise ValueError(f"auto combine must be 'median' or 'mean', got {self.combine!r}")
        if not 0.0 <= self.pooled_weight <= 1.0:
            raise ValueError(f"auto pooled_weight must be in [0, 1], got {self.pooled_weight}")
        self.fitted_: list[ForecastModel] = []
        self.failed_: dict[str, str] = {}
        for name in self.members:
            member = make_model(name, season_length=self.season_length)
            try:
                member.fit(history_for(member, history))
            except Exception as exc:  # noqa: BLE001 - a failing member is left out, logged
                self.failed_[name] = f"{type(exc).__name__}: {exc}"
                log.debug("auto: member %s left out: %s", name, exc)
                continue
            self.fitted_.append(member)
        if not self.fitted_:
            raise ModelDeclined("auto: no member could be fitted (" +
                             "; ".join(f"{k}: {v}" for k, v in self.failed_.items()) + ")")
        self._cache: dict[int, np.ndarray] = {}
        self.pooled_point_: np.ndarray | None = None

    def use_pooled(self, point: Sequence[float]) -> Auto:
        """Combine the point forecast with this series' forecast by the pooled model of a
        bulk job (``models.zoo.pooled``), at least as many months as will be forecast (oz);
        without it (always for a single plant) the members stand alone. Returns self."""
        self._require_fitted("fitted_")
        self.pooled_point_ = np.asarray(point, dtype=float)
        return self

    def _member_points(self, horizon: int) -> np.ndarray:
        # Members without an analytic point forecast get one from a fixed-seed simulation,
        # so the point forecast is the same whatever seed the caller uses for paths.
        if horizon not in self._cache:
            pts = []
            for k, member in enumerate(self.fitted_):
                point = member.point_forecast(horizon)
                if point is None:
                    point = member.sample_paths(horizon, self.point_paths, seed=k).mean(0)
                pts.append(np.asarray(point, dtype=float))
            self._cache[horizon] = np.vstack(pts)
        return self._cache[horizon]

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None) -> np.ndarray:
        """Combined point forecast, shape (horizon,), oz (median or mean of members)."""
        pts = self._member_points(horizon)
        local = np.median(pts, axis=0) if self.combine == "median" else pts.mean(axis=0)
        if self.pooled_point_ is None:
            return local
        pooled = self.pooled_point_
        if pooled.shape[0] < horizon:
            raise ValueError(f"auto: pooled forecast covers {pooled.shape[0]} months, "
                             f"{horizon} asked")
        w = self.pooled_weight
        return (1.0 - w) * local + w * pooled[:horizon]

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        k = len(self.fitted_)
        pts = self._member_points(horizon)
        centre = self.point_forecast(horizon)
        seeds = rng.integers(0, 2**63 - 1, size=k)
        out = np.empty((n_paths, horizon))
        for j, member in enumerate(self.fitted_):
            rows = np.arange(j, n_paths, k)
            if rows.size == 0:
                continue
            paths = member.sample_paths(horizon, rows.size, int(seeds[j]), future=future)
            out[rows] = centre[None, :] + (paths - pts[j][None, :])
        return out
