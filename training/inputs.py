"""What a training job trains on and which models it backtests."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.core.year import data_span
from models.zoo import model_names

log = logging.getLogger("training.train")

#: zoo names that are not backtest candidates by default: the equal mixture's rows are
#: formed from the members' own backtest paths (``training.combination``)
NOT_CANDIDATES = ("ensemble",)


@dataclass
class TrainingData:
    """What a job trains on.

    Attributes:
        history: production frame (monthly PeriodIndex, ``gold_oz`` oz).
        periods: period totals (None when the data has none).
        guidance: guidance announcements (None when none).
        name: dataset name logged to MLflow.
        source: where the data came from (file path or the embedded dataset).
    """

    history: pd.DataFrame
    periods: pd.DataFrame | None
    guidance: pd.DataFrame | None
    name: str
    source: str


def load_training_data(data: str | Path | pd.DataFrame | None = None, *,
                       periods: pd.DataFrame | None = None,
                       guidance: pd.DataFrame | None = None) -> TrainingData:
    """The job's data: the embedded Dynacor dataset by default, a production file, or a frame.

    Args:
        data: None (embedded dataset, with its periods and guidance; with ``periods`` and no
            data, the period totals alone: a quarterly reporter), a CSV/Parquet path, or
            a validated production frame.
        periods, guidance: override / supply period totals and guidance.
    Raises:
        DataValidationError: the file is not a valid production history.
    """
    if data is None and periods is not None:
        from models.data.periods import months_frame

        # The period totals are the plant: a quarterly reporter with no monthly figure.
        source = str(periods.attrs.get("source", "<periods>"))
        return TrainingData(months_frame(periods), periods, guidance, "periods", source)
    if data is None:
        from models.data.datasets import dynacor

        ds = dynacor()
        return TrainingData(ds.monthly, ds.periods if periods is None else periods,
                            ds.guidance if guidance is None else guidance, ds.name,
                            str(ds.monthly.attrs.get("source", ds.name)))
    if isinstance(data, pd.DataFrame):
        source = str(data.attrs.get("source", "<memory>"))
        return TrainingData(data, periods, guidance, "history", source)
    from models.data.tables import load_production

    history = load_production(data)
    return TrainingData(history, periods, guidance, Path(data).stem, str(data))


def available_models() -> list[str]:
    """The default candidates of a training job: every zoo name but ``NOT_CANDIDATES``."""
    return [m for m in model_names() if m not in NOT_CANDIDATES]


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
