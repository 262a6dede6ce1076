"""Forecast combination over zoo members, on sample paths.

Two combinations (Clemen 1989; Hyndman & Athanasopoulos, FPP3 13.4):
- ``weighted``: a mixture -- each path comes from one member, members drawn in proportion to
  their weights (e.g. inverse backtest CRPS). A mixture keeps every path a coherent
  trajectory and carries the disagreement between members into the intervals.
- ``median``: path i is the month-by-month median of the members' path i, the plain,
  robust baseline combination.
Members that cannot be fitted to the history decline and are left out, with a logged reason;
the weights of the others are renormalised. By default every single member of the zoo takes
part with equal weight: the equal-weight mixture is the combination that orecast uses when
the evidence cannot tell members apart (``training.selection``), since estimated weights
rarely beat equal ones out of sample (the "forecast combination puzzle", Smith & Wallis
2009; Claeskens et al. 2016).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model

log = logging.getLogger(__name__)

#: every single model of the zoo (the combiners ``ensemble`` and ``auto`` excluded)
DEFAULT_MEMBERS = ("naive", "seasonal_naive", "drift", "share_runrate", "ses", "theta_ses",
                   "damped", "damped_mapa", "dotm", "ets", "theta", "sarimax", "state_space",
                   "gbm", "metallurgical")


#: factor on the mixture's deviations from its mean path: a mixture of members whose centres
#: disagree is wider than its own errors; measured on simulated plants
#: (benchmarks/mixture_spread.py, BENCHMARKS.md), never on real data. Re-measured at 0.82
#: once the level members got a seasonal profile; kept at 0.74, whose checks on other seeds
#: and the real years stay inside their bands (BENCHMARKS.md says why)
SPREAD = 0.74


def spread_paths(paths: np.ndarray, spread: float) -> np.ndarray:
    """Paths moved toward their mean path by ``spread`` (1 = unchanged), floored at 0 oz.

    Every path's deviation from the month-wise mean is multiplied by ``spread``, so the
    total over the horizon keeps its mean and its spread scales by the same factor.

    Args:
        paths: shape (n_paths, horizon), oz.
        spread: factor > 0.
    Returns:
        ndarray of the same shape, oz.
    """
    if spread == 1.0:
        return paths
    mean = paths.mean(axis=0, keepdims=True)
    return np.maximum(mean + spread * (paths - mean), 0.0)


def quantile_average(stack: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Rank-matched weighted average of members' paths (quantile averaging, Vincentization).

    Each member's paths are ordered by their total over the horizon; path ``i`` of the result
    is the weighted mean of every member's ``i``-th ranked path. The total's quantiles are
    then the weighted means of the members' quantiles (Lichtendahl, Grushka-Cockayne &
    Winkler 2013), and every path is still a coherent trajectory whose months add up.

    Args:
        stack: members' paths, shape (k, n_paths, horizon), oz.
        weights: shape (k,), >= 0, summing to 1.
    Returns:
        ndarray (n_paths, horizon), oz, ordered by total.
    """
    order = np.argsort(stack.sum(axis=2), axis=1, kind="stable")
    ranked = np.take_along_axis(stack, order[:, :, None], axis=1)
    return np.tensordot(weights, ranked, axes=1)


def mixture_counts(weights: np.ndarray, n_paths: int) -> np.ndarray:
    """Paths per member of a mixture: largest-remainder allocation of ``n_paths``.

    Args:
        weights: member weights, shape (k,), >= 0, summing to 1.
        n_paths: total number of paths.
    Returns:
        int array (k,), summing to ``n_paths``; deterministic (no random draw).
    """
    counts = np.floor(weights * n_paths).astype(int)
    short = n_paths - counts.sum()
    counts[np.argsort(-(weights * n_paths - counts), kind="stable")[:short]] += 1
    return counts


class Ensemble(ForecastModel):
    """Mixture (``weighted``) or path-wise median (``median``) of zoo members (oz)."""

    name = "ensemble"
    handles_missing = True
    uses_periods = True
    min_history = 0
    complexity = 9
    # Whether a history can be used is each member's call (a plant that produced nothing
    # is forecast at zero by the naive members).
    needs_production = False

    def __init__(self, *, members: Sequence[str] = DEFAULT_MEMBERS,
                 weights: Mapping[str, float] | None = None, method: str = "weighted",
                 spread: float = SPREAD):
        """Args: spread: factor on the mixture's deviations from its mean path (``SPREAD``;
        1 = the plain mixture), for ``weighted``."""
        self.members = members
        self.weights = weights
        self.method = method
        self.spread = spread

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        from models.zoo import make_model

        if self.method not in ("weighted", "median", "quantile"):
            raise ValueError(f"ensemble method must be 'weighted', 'median' or 'quantile', "
                             f"got {self.method!r}")
        fitted: list[ForecastModel] = []
        self.declined_: dict[str, str] = {}
        for name in self.members:
            try:
                fitted.append(fit_model(make_model(name), history, periods=periods))
            except ModelDeclined as exc:
                self.declined_[name] = str(exc)
                log.debug("ensemble member declined: %s", exc)
        if not fitted:
            raise ModelDeclined(f"{self.name}: no member could be fitted "
                                f"({'; '.join(self.declined_.values())})")
        self.fitted_members_ = fitted
        self.members_used_ = tuple(m.name for m in fitted)
        raw = np.array([float((self.weights or {}).get(m.name, 1.0)) for m in fitted])
        if not np.all(np.isfinite(raw)) or raw.sum() <= 0 or np.any(raw < 0):
            raise ValueError(f"ensemble weights must be finite, >= 0 and not all 0: {raw}")
        self.member_weights_ = dict(zip([m.name for m in fitted], raw / raw.sum(),
                                        strict=True))

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        seeds = rng.integers(0, 2**32 - 1, size=len(self.fitted_members_))
        w = np.array([self.member_weights_[m.name] for m in self.fitted_members_])
        if self.method in ("median", "quantile"):
            stack = np.stack([m.sample_paths(horizon, n_paths, int(s), future)
                              for m, s in zip(self.fitted_members_, seeds, strict=True)])
            if self.method == "median":
                return np.median(stack, axis=0)
            return quantile_average(stack, w)[rng.permutation(n_paths)]
        counts = mixture_counts(w, n_paths)
        parts = [m.sample_paths(horizon, int(c), int(s), future)
                 for m, c, s in zip(self.fitted_members_, counts, seeds, strict=True) if c > 0]
        paths = spread_paths(np.concatenate(parts, axis=0), self.spread)
        # Shuffle so that any prefix of the paths is itself a fair mixture.
        return paths[rng.permutation(n_paths)]
