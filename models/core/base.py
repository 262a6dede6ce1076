"""The model contract every member of the zoo follows (see docs/conventions.md).

A production history is a ``pandas.DataFrame`` indexed by a monthly ``PeriodIndex`` named
``month`` (contiguous, no duplicates), with a float column ``gold_oz`` (troy ounces, NaN =
not published) and optional float columns ``ore_purchased_t``, ``ore_processed_t`` (tonnes),
``head_grade_gpt`` (g/t), ``recovery_pct`` (0-100) and ``capacity_tpd`` (t/day). Other
columns are carried along and ignored.

Models follow scikit-learn's estimator rules: ``__init__`` only stores its keyword arguments,
``fit`` learns state into attributes ending in ``_``, and ``sample_paths`` is the one
primitive from which means, quantiles and totals are all derived.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.core.errors import ModelDeclined


class ForecastModel:
    """Base class: capabilities as class attributes, params from ``__init__``'s signature.

    Subclasses implement ``_fit(history, periods)`` and ``_sample(horizon, n_paths, rng,
    future)``; those with an analytic point forecast override ``point_forecast``.
    """

    #: short name used on the command line and in MLflow
    name: ClassVar[str] = "base"
    #: needs exogenous columns (ore tonnes) in the history
    uses_exog: ClassVar[bool] = False
    #: can be fitted on a history whose target has NaN months
    handles_missing: ClassVar[bool] = False
    #: reads period totals (quarters, years) passed to ``fit(..., periods=...)``
    uses_periods: ClassVar[bool] = False
    #: columns that must be present with enough non-missing values
    required_columns: ClassVar[tuple[str, ...]] = (TARGET,)
    #: columns read when present and complete, ignored otherwise (never a reason to decline)
    optional_columns: ClassVar[tuple[str, ...]] = ()
    #: fewest observed months of the target the model can be fitted on
    min_history: ClassVar[int] = 2
    #: rank used to break ties in model selection: lower is simpler
    complexity: ClassVar[int] = 5
    #: declines a history whose every observed month is zero (nothing to learn a level from)
    needs_production: ClassVar[bool] = True
    #: can be fitted on quarterly totals (season length 4) when the months are not known:
    #: the model reads only the order of the values, never their calendar months
    fits_quarterly: ClassVar[bool] = False

    # -- scikit-learn style parameters -------------------------------------------------
    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values()
                if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]

    def get_params(self) -> dict[str, Any]:
        """Return the constructor keyword arguments, as stored (for logging and cloning)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def clone(self) -> Self:
        """Return an unfitted copy with the same parameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # -- capability check --------------------------------------------------------------
    @classmethod
    def decline_reason(cls, history: pd.DataFrame,
                       min_history: int | None = None) -> str | None:
        """Say why this model cannot be fitted to ``history``, or None if it can.

        Args:
            history: production frame (monthly PeriodIndex), already cut at the as-of month.
            min_history: fewest observed values, when not ``cls.min_history`` (a quarterly
                fit counts quarters).
        Returns:
            A one-line reason, or None.
        """
        least = cls.min_history if min_history is None else min_history
        for col in cls.required_columns:
            if col not in history.columns:
                return f"needs column {col!r}, absent from the data"
            if col != TARGET and history[col].isna().any():
                return f"needs {col!r} in every month, {int(history[col].isna().sum())} missing"
        y = history[TARGET]
        if not cls.handles_missing and y.isna().any():
            return f"cannot handle missing months ({int(y.isna().sum())} missing in {TARGET})"
        n_obs = int(y.notna().sum())
        if cls.needs_production and n_obs and not (y.fillna(0.0) > 0).any():
            # A plant that has never produced gives no level, season or trend to learn.
            return "every observed month is zero: nothing to learn a level from"
        if n_obs < least:
            unit = "months" if min_history is None else "values"
            return f"needs at least {least} observed {unit}, has {n_obs}"
        return None

    # -- the contract ----------------------------------------------------------------------
    def fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None, *,
            min_history: int | None = None) -> Self:
        """Learn from a production history.

        Args:
            history: production frame (see module docstring), cut at the as-of month.
            periods: validated period totals (only read by models with ``uses_periods``).
            min_history: fewest observed values accepted, when not the class's own.
        Returns:
            self, fitted.
        Raises:
            ModelDeclined: when ``decline_reason`` finds a reason.
        """
        reason = self.decline_reason(history, min_history)
        if reason is not None:
            raise ModelDeclined(f"{self.name}: {reason}")
        self.last_month_: pd.Period = history.index[-1]
        self.n_obs_: int = int(history[TARGET].notna().sum())
        try:
            # Period totals reach only the models that declare they read them.
            self._fit(history, periods if self.uses_periods else None)
        except BaseException:
            # A fit that fails (a decline found late included) leaves the model unfitted,
            # never half fitted: sample_paths then says so instead of failing elsewhere.
            for attribute in ("last_month_", "n_obs_"):
                self.__dict__.pop(attribute, None)
            raise
        return self

    def sample_paths(self, horizon: int, n_paths: int, seed: int,
                     future: pd.DataFrame | None = None) -> np.ndarray:
        """Simulate future monthly ounces.

        Args:
            horizon: number of months after the last history month (>= 1).
            n_paths: number of simulated paths.
            seed: seed of the random generator; same seed -> same paths, bit for bit.
            future: optional scenario for exogenous columns, indexed by the future months.
        Returns:
            ndarray of shape (n_paths, horizon), troy ounces, finite and >= 0.
        """
        self._require_fitted("last_month_")
        if horizon < 1 or n_paths < 1:
            raise ValueError(f"horizon and n_paths must be >= 1, got {horizon}, {n_paths}")
        rng = np.random.default_rng(seed)
        paths = np.asarray(self._sample(horizon, n_paths, rng, future), dtype=float)
        if paths.shape != (n_paths, horizon):
            raise RuntimeError(f"{self.name} returned paths of shape {paths.shape}, "
                               f"expected {(n_paths, horizon)}")
        # Ounces are never negative; a model whose simulation explodes is a bug, not data.
        if not np.all(np.isfinite(paths)):
            raise FloatingPointError(f"{self.name} produced non-finite paths")
        return np.maximum(paths, 0.0)

    def point_forecast(self, horizon: int, future: pd.DataFrame | None = None
                       ) -> np.ndarray | None:
        """The analytic point forecast, shape (horizon,), oz; None when the model has none
        (its point is then the mean of its sample paths)."""
        return None

    def future_index(self, horizon: int) -> pd.PeriodIndex:
        """Months following the last fitted month, ``horizon`` of them."""
        return pd.period_range(self.last_month_ + 1, periods=horizon, freq="M", name="month")

    # -- for subclasses ----------------------------------------------------------------
    def _require_fitted(self, attribute: str) -> None:
        """Raise RuntimeError unless ``attribute`` (set by a successful fit) exists."""
        if not hasattr(self, attribute):
            raise RuntimeError(f"{type(self).__name__} is not fitted; call fit() first")

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        raise NotImplementedError

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        raise NotImplementedError


def observed_target(history: pd.DataFrame) -> np.ndarray:
    """The ``gold_oz`` column as a float ndarray of shape (n_months,), NaN where missing."""
    return history[TARGET].to_numpy(dtype=float)


def contiguous_tail(history: pd.DataFrame) -> pd.DataFrame:
    """The months after the last missing ``gold_oz`` value (the whole frame if none missing).

    Used for models that cannot handle gaps: we drop the older, gapped part of the history
    rather than fill it, and say so in the log.
    """
    missing = history[TARGET].isna().to_numpy()
    if not missing.any():
        return history
    last_gap = int(np.flatnonzero(missing)[-1])
    return history.iloc[last_gap + 1:]


def bootstrap_residual_paths(point: np.ndarray, residuals: np.ndarray, n_paths: int,
                             rng: np.random.Generator) -> np.ndarray:
    """Point forecast plus residuals drawn with replacement, independently per month.

    Args:
        point: point forecast, shape (horizon,), oz.
        residuals: in-sample one-step residuals, shape (n,), oz (NaN dropped).
        n_paths: number of paths.
        rng: random generator.
    Returns:
        ndarray (n_paths, horizon), oz.
    """
    res = residuals[np.isfinite(residuals)]
    if res.size == 0:
        res = np.zeros(1)
    draws = rng.choice(res, size=(n_paths, point.size), replace=True)
    return point[None, :] + draws
