"""Gradient boosting on lags, calendar and ore, simulated recursively with out-of-fold residuals.

Target and lags are taken relative to the local level ``L_t`` (mean log ounces of the three
previous months), so trees, which cannot extrapolate, still follow a plant that grows:
``log(1 + y_t) - L_t = f(features) + e_t``. Features: log ounces 1, 2, 3 and 12 months back
minus ``L_t``, month of year, a rainy-season flag (January-March), and, when the history has
complete ore columns, log tonnes this month and last month relative to their own three-month
level. Near-zero months (shutdowns) are no value in logs: they are NaN lags (which the
trees route natively) and are not used as targets. ``f`` is scikit-learn's
``HistGradientBoostingRegressor`` (Friedman 2001; Ke et al. 2017). Residuals ``e`` are out-of-fold: each of five contiguous blocks is predicted by a model
fitted without it, so they measure out-of-sample error rather than the in-sample fit
(cross-conformal residuals, Vovk 2015). Paths are simulated recursively, all paths of a step
in one ``predict`` call, each step adding a resampled residual; future ore comes from a
scenario or is simulated jointly from a seasonal log-VAR(1) as in ``models.zoo.sarimax``.

Capabilities: ``uses_exog`` is False because ore is optional (the model never declines for
lack of it); ``optional_columns`` names the columns it reads when they are complete.
"""

from __future__ import annotations

import logging
from typing import ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from models.core.base import ForecastModel, observed_target
from models.core.calendar import month_of_year, rainy_flag
from models.core.columns import EXOG_COLUMNS
from models.core.scenario import ORE_PURCHASED, exog_columns_of, scenario_values
from models.kernels.ar import SeasonalLogVar
from models.kernels.log_scale import log_cap, log_ounces

log = logging.getLogger(__name__)

LAGS = (1, 2, 3, 12)
N_FOLDS = 5


def _features(logy: np.ndarray, t: int, months: np.ndarray, rainy: np.ndarray,
              logx: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Feature rows for target position ``t`` of several paths at once.

    Args:
        logy: log(1 + oz), shape (n_paths, T) with T > t; NaN for near-zero months.
        t: target position; the same for every path.
        months, rainy: calendar month (0..11) and rainy flag of position t, scalars.
        logx: log tonnes, shape (n_paths, T, k), or None.
    Returns:
        (features (n_paths, n_features), local level L_t (n_paths,)).
    """
    recent = logy[:, t - 3:t]
    seen = np.isfinite(recent)
    # NaN (near-zero months) are left out of the level; HistGradientBoosting takes NaN lags.
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(seen, recent, 0.0).sum(axis=1) / seen.sum(axis=1)
    cols = [logy[:, t - k] - level for k in LAGS]
    n = logy.shape[0]
    cols += [np.full(n, float(months)), np.full(n, float(rainy))]
    if logx is not None:
        ore_level = logx[:, t - 3:t, :].mean(axis=1)
        cols += list((logx[:, t, :] - ore_level).T) + list((logx[:, t - 1, :] - ore_level).T)
    return np.column_stack(cols), level


class GradientBoosting(ForecastModel):
    """Histogram gradient boosting on relative lags, calendar and optional ore tonnes."""

    name = "gbm"
    min_history = 36
    complexity = 7
    #: columns read when present and complete; their absence never declines the model
    optional_columns: ClassVar[tuple[str, ...]] = EXOG_COLUMNS

    def __init__(self, *, max_iter: int = 60, learning_rate: float = 0.1,
                 max_leaf_nodes: int = 8, min_samples_leaf: int = 5, use_ore: bool = True,
                 random_state: int = 0):
        """Args: boosting settings of ``HistGradientBoostingRegressor``; use_ore: read ore
        columns when complete; random_state: seed of the estimator."""
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.use_ore = use_ore
        self.random_state = random_state

    def _estimator(self) -> HistGradientBoostingRegressor:
        return HistGradientBoostingRegressor(
            max_iter=self.max_iter, learning_rate=self.learning_rate,
            max_leaf_nodes=self.max_leaf_nodes, min_samples_leaf=self.min_samples_leaf,
            l2_regularization=1.0, early_stopping=False, random_state=self.random_state)

    def _fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None) -> None:
        logy_1d, n_zero = log_ounces(observed_target(history))
        if n_zero:
            log.info("gbm: %d near-zero months left out of targets and levels", n_zero)
        logy = logy_1d[None, :]
        self.ore_columns_: list[str] = []
        if self.use_ore and ORE_PURCHASED in history.columns:
            ore = history[ORE_PURCHASED]
            if ore.notna().all() and (ore > 0).all():
                self.ore_columns_ = exog_columns_of(history)
        logx = None
        if self.ore_columns_:
            logx = np.log(history[self.ore_columns_].to_numpy(dtype=float))[None, :, :]
            self.exog_model_ = SeasonalLogVar().fit(history, self.ore_columns_)
        months = month_of_year(history.index)
        rainy = rainy_flag(history.index)
        rows, target = [], []
        for t in range(max(LAGS), logy.shape[1]):
            x, level = _features(logy, t, months[t], rainy[t], logx)
            if not (np.isfinite(level[0]) and np.isfinite(logy[0, t])):
                continue
            rows.append(x[0])
            target.append(logy[0, t] - level[0])
        x_all, y_all = np.array(rows), np.array(target)
        # A few hundred rows: OpenMP threads only add overhead, and oversubscribe the cores
        # when backtests already run in parallel.
        with threadpool_limits(limits=1, user_api="openmp"):
            self.estimator_ = self._estimator().fit(x_all, y_all)
            self.residuals_ = self._out_of_fold_residuals(x_all, y_all)
        self.tail_logy_ = logy[0, -max(LAGS):]
        self.last_level_ = float(logy_1d[np.isfinite(logy_1d)][-1])
        self.tail_logx_ = None if logx is None else logx[0, -max(LAGS):, :]
        self.log_cap_ = log_cap(logy)
        log.debug("gbm: %d rows, ore %s, residual sd %.3f", len(y_all), self.ore_columns_,
                  float(self.residuals_.std()))

    def _out_of_fold_residuals(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        folds = np.array_split(np.arange(len(y)), N_FOLDS)
        resid = np.empty(len(y))
        for fold in folds:
            train = np.setdiff1d(np.arange(len(y)), fold)
            est = self._estimator().fit(x[train], y[train])
            resid[fold] = y[fold] - est.predict(x[fold])
        return resid

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        months_idx = self.future_index(horizon)
        months, rainy = month_of_year(months_idx), rainy_flag(months_idx)
        n_tail = self.tail_logy_.size
        logy = np.empty((n_paths, n_tail + horizon))
        logy[:, :n_tail] = self.tail_logy_
        logx = None
        if self.ore_columns_:
            known = scenario_values(future, months_idx, self.ore_columns_)
            if np.isfinite(known).all():
                tonnes = np.broadcast_to(known, (n_paths, horizon, known.shape[1]))
            else:
                tonnes = self.exog_model_.simulate(months, n_paths, rng, known)
            logx = np.empty((n_paths, n_tail + horizon, known.shape[1]))
            logx[:, :n_tail] = self.tail_logx_
            logx[:, n_tail:] = np.log(np.maximum(tonnes, 1.0))
        shocks = rng.choice(self.residuals_, size=(n_paths, horizon), replace=True)
        with threadpool_limits(limits=1, user_api="openmp"):
            for s in range(horizon):
                t = n_tail + s
                x, level = _features(logy, t, months[s], rainy[s], logx)
                # Three near-zero months in a row leave no level: use the last real month.
                level = np.where(np.isfinite(level), level, self.last_level_)
                pred = self.estimator_.predict(x)
                logy[:, t] = np.minimum(level + pred + shocks[:, s], self.log_cap_)
        return np.expm1(logy[:, n_tail:])
