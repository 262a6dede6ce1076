"""Which models a training job backtests, and on which years."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pandas as pd

from models.core.year import data_span
from models.zoo import model_names

log = logging.getLogger("training.train")

#: zoo names that are not backtest candidates by default: the equal mixture's rows are
#: formed from the members' own backtest paths (``training.combination``)
NOT_CANDIDATES = ("ensemble",)


#: zoo names backtested only when asked for by name: ``arima`` (a many-series model, about
#: as costly as the rest of ``auto`` together, not yet measured on plants' years)
ON_REQUEST = ("arima",)


def available_models() -> list[str]:
    """The default candidates of a training job: every zoo name but ``NOT_CANDIDATES`` and
    ``ON_REQUEST``."""
    return [m for m in model_names() if m not in NOT_CANDIDATES + ON_REQUEST]


def candidate_names(models: Sequence[str] | None) -> list[str]:
    """The models a job backtests: ``models`` (default ``available_models()``) without the
    equal mixture, which is always a candidate formed from the others' paths."""
    names = list(models) if models else available_models()
    if set(names) & set(NOT_CANDIDATES):
        log.info("%s is formed from the other candidates, not backtested itself",
                 ", ".join(sorted(set(names) & set(NOT_CANDIDATES))))
        names = [m for m in names if m not in NOT_CANDIDATES] or available_models()
    return names


def evidence_years(history: pd.DataFrame, periods: pd.DataFrame | None) -> list[int]:
    """Target years a backtest can draw on: every year after the data's first one.

    The backtest itself skips the origins of those years where the output was not known.
    """
    first, last = data_span(history, periods)
    return list(range(first.year + 1, last.year + 1))
