"""Fitting a zoo model to a history: capability check, gap handling, logged reasons."""

from __future__ import annotations

import logging

import pandas as pd

from models.core.base import ForecastModel, contiguous_tail
from models.core.columns import TARGET
from models.core.errors import ModelDeclined
from models.core.quarterly import QuarterlyFit

log = logging.getLogger(__name__)


def cut_at(history: pd.DataFrame, as_of: pd.Period) -> pd.DataFrame:
    """Rows of ``history`` with month <= ``as_of`` (nothing later can leak into a fit)."""
    return history.loc[history.index <= as_of]


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
            log.debug("%s cannot handle missing months: fitting on %d months from %s "
                     "(dropped %d earlier months around gaps)", model.name, len(tail),
                     tail.index[0] if len(tail) else "-", len(used) - len(tail))
            used = tail
    reason = model.decline_reason(used)
    if reason is not None:
        raise ModelDeclined(f"{model.name}: {reason}")
    return used


def fit_model(model: ForecastModel, history: pd.DataFrame,
              periods: pd.DataFrame | None = None) -> ForecastModel:
    """Fit ``model`` on the usable part of ``history`` (see ``history_for``); returns it.

    A model that declines the months but can read quarterly totals (``fits_quarterly``) is
    fitted on the quarterly series of the months and period totals instead, when the last
    month is a quarter end; the returned object is then that quarterly fit (same name).

    Raises:
        ModelDeclined: neither the months nor the quarters can be used (both reasons).
    """
    quarterly_ok = model.fits_quarterly and len(history) and history.index[-1].month % 3 == 0
    try:
        return model.fit(history_for(model, history), periods=periods)
    except ModelDeclined as monthly:
        if not quarterly_ok:
            raise
        try:
            return QuarterlyFit(member=model.clone()).fit(history, periods)
        except ModelDeclined as quarterly:
            raise ModelDeclined(f"{monthly}; {str(quarterly).removeprefix(model.name + ': ')}"
                                ) from None

