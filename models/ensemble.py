"""Forecast combination over zoo members, on sample paths.

Two combinations (Clemen 1989; Hyndman & Athanasopoulos, FPP3 13.4):
- ``weighted``: a mixture -- each path comes from one member, members drawn in proportion to
  their weights (e.g. inverse backtest CRPS). A mixture keeps every path a coherent
  trajectory and carries the disagreement between members into the intervals.
- ``median``: path i is the month-by-month median of the members' path i, the plain,
  robust baseline combination.
Members that cannot be fitted to the history decline and are left out, with a logged reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.base import ForecastModel
from models.errors import ModelDeclined
from models.pipeline import history_for

log = logging.getLogger(__name__)

DEFAULT_MEMBERS = ("share_runrate", "ets", "theta", "state_space", "seasonal_naive")


class Ensemble(ForecastModel):
    """Mixture (``weighted``) or path-wise median (``median``) of zoo members (oz)."""

    name = "ensemble"
    handles_missing = True
    uses_periods = True
    min_history = 1
    complexity = 9


    def __init__(self, *, members: Sequence[str] = DEFAULT_MEMBERS,
                 weights: Mapping[str, float] | None = None, method: str = "weighted"):
        self.members = members
        self.weights = weights
        self.method = method

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        from models.zoo import make_model

        if self.method not in ("weighted", "median"):
            raise ValueError(f"ensemble method must be 'weighted' or 'median', "
                             f"got {self.method!r}")
        fitted: list[ForecastModel] = []
        self.declined_: dict[str, str] = {}
        for name in self.members:
            member = make_model(name)
            try:
                member.fit(history_for(member, history), periods=periods)
            except ModelDeclined as exc:
                self.declined_[name] = str(exc)
                log.info("ensemble member declined: %s", exc)
                continue
            fitted.append(member)
        if not fitted:
            raise ModelDeclined(f"{self.name}: no member could be fitted "
                                f"({'; '.join(self.declined_.values())})")
        self.fitted_members_ = fitted
        raw = np.array([float((self.weights or {}).get(m.name, 1.0)) for m in fitted])
        if not np.all(np.isfinite(raw)) or raw.sum() <= 0 or np.any(raw < 0):
            raise ValueError(f"ensemble weights must be finite, >= 0 and not all 0: {raw}")
        self.member_weights_ = dict(zip([m.name for m in fitted], raw / raw.sum(),
                                        strict=True))

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        seeds = rng.integers(0, 2**32 - 1, size=len(self.fitted_members_))
        if self.method == "median":
            stack = np.stack([m.sample_paths(horizon, n_paths, int(s), future)
                              for m, s in zip(self.fitted_members_, seeds, strict=True)])
            return np.median(stack, axis=0)
        w = np.array([self.member_weights_[m.name] for m in self.fitted_members_])
        # Largest-remainder allocation: counts are deterministic and sum to n_paths.
        counts = np.floor(w * n_paths).astype(int)
        short = n_paths - counts.sum()
        counts[np.argsort(-(w * n_paths - counts), kind="stable")[:short]] += 1
        parts = [m.sample_paths(horizon, int(c), int(s), future)
                 for m, c, s in zip(self.fitted_members_, counts, seeds, strict=True) if c > 0]
        paths = np.concatenate(parts, axis=0)
        # Shuffle so that any prefix of the paths is itself a fair mixture.
        return paths[rng.permutation(n_paths)]
