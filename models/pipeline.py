"""Fitting a zoo model to a history: capability check, gap handling, logged reasons."""

from __future__ import annotations

import logging

import pandas as pd

from models.base import TARGET, ForecastModel, contiguous_tail
from models.errors import ModelDeclined

log = logging.getLogger(__name__)


def cut_at(history: pd.DataFrame, as_of: pd.Period) -> pd.DataFrame:
    """Rows of ``history`` with month <= ``as_of`` (nothing later can leak into a fit)."""
    return history.loc[history.index <= as_of]


def cut_periods_at(periods: pd.DataFrame | None, as_of: pd.Period) -> pd.DataFrame | None:
    """Period totals whose period ended on or before ``as_of`` (None stays None)."""
    if periods is None:
        return None
    return periods.loc[periods["end"] <= as_of]


def history_for(model: ForecastModel, history: pd.DataFrame) -> pd.DataFrame:
    """The part of ``history`` the model will be fitted on.

    A model that cannot handle missing months gets the contiguous months after the last
    gap, never a filled series; the drop is logged.

    Raises:
        ModelDeclined: when the model cannot use this history (reason in the message).
    """
    used = history
    if not model.handles_missing and history[TARGET].isna().any():
        # Leading NaNs are just "before the plant reported": trim them silently.
        first = history[TARGET].first_valid_index()
        used = history.loc[first:] if first is not None else history
        if used[TARGET].isna().any():
            tail = contiguous_tail(used)
            log.info("%s cannot handle missing months: fitting on %d months from %s "
                     "(dropped %d earlier months around gaps)", model.name, len(tail),
                     tail.index[0] if len(tail) else "-", len(used) - len(tail))
            used = tail
    reason = model.decline_reason(used)
    if reason is not None:
        raise ModelDeclined(f"{model.name}: {reason}")
    return used


def fit_model(model: ForecastModel, history: pd.DataFrame,
              periods: pd.DataFrame | None = None) -> ForecastModel:
    """Fit ``model`` on the usable part of ``history`` (see ``history_for``); returns it."""
    used = history_for(model, history)
    return model.fit(used, periods=periods)
