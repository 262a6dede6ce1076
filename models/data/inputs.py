"""What a forecast, a backtest, a training job or a publication reads: one loader.

The production history, its period totals and the guidance, each given as a file, as a
validated frame, or not at all: no data means the embedded Dynacor dataset with its own
totals and guidance; period totals without monthly data mean a plant that reports only
totals (a quarterly reporter). Figures for the same months that disagree are refused here,
once, whatever reads them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from models.core.columns import TARGET
from models.core.errors import UsageError
from models.data.periods import PRODUCED, check_consistency, months_frame
from models.data.tables import load_guidance, load_periods, load_prices, load_production

Source = str | os.PathLike[str] | pd.DataFrame | None


@dataclass(frozen=True)
class Inputs:
    """Validated inputs.

    Attributes:
        history: production frame (monthly PeriodIndex, ``gold_oz`` oz); attrs carry
            ``source`` and ``sha256``.
        periods: period totals (or None).
        guidance: guidance frame ``year, low_oz, high_oz, announced`` (or None).
        name: short dataset name (``dynacor``, a file's stem, ``history``, ``periods``).
        source: where the history came from (a path, the embedded dataset, ``<memory>``).
        label: how reports and messages name the data: the dataset's name when embedded,
            else ``source``.
        prices: monthly gold price history (USD/oz, monthly PeriodIndex): the file given,
            else the embedded World Bank series (1990-2017).
    """

    history: pd.DataFrame
    periods: pd.DataFrame | None
    guidance: pd.DataFrame | None
    name: str
    source: str
    label: str
    prices: pd.Series | None = None


def _read(value: Source, loader: Callable[[str], pd.DataFrame]) -> pd.DataFrame | None:
    if value is None or isinstance(value, pd.DataFrame):
        return value
    return loader(value)


def load_prices_or_embedded(prices: str | os.PathLike[str] | pd.Series | None = None
                            ) -> pd.Series:
    """The price history given (a file or a validated series), else the embedded one."""
    if isinstance(prices, pd.Series):
        return prices
    if prices is not None:
        return load_prices(prices)
    from models.data.datasets import gold_price

    return gold_price()


def load_inputs(data: Source = None, guidance: Source = None,
                periods: Source = None,
                prices: str | os.PathLike[str] | pd.Series | None = None) -> Inputs:
    """Load and validate the inputs (see the module docstring).

    Args:
        data: production history: a CSV/Parquet path, a validated frame, or None.
        guidance: guidance file or frame; None = the embedded dataset's with the embedded
            data, else none.
        periods: period totals file or frame; None = the embedded dataset's with the
            embedded data, else none; alone (no ``data``) they are the plant.
        prices: gold price history file or series (USD/oz); None = the embedded one.
    Raises:
        DataValidationError: a bad file, or figures for the same months that disagree
            (``models.data.periods.check_consistency``).
    """
    if isinstance(data, pd.DataFrame):
        history, name = data, "history"
        source = str(data.attrs.get("source", "<memory>"))
    elif data is not None:
        history, name, source = load_production(data), Path(data).stem, str(data)
    per = _read(periods, load_periods)
    guid = _read(guidance, load_guidance)
    label = None
    if data is None and per is not None:
        # The period totals are the plant: a quarterly reporter with no monthly figure.
        history, name = months_frame(per), "periods"
        source = str(per.attrs.get("source", "<periods>"))
    elif data is None:
        from models.data.datasets import dynacor

        ds = dynacor()
        history, name, label = ds.monthly, ds.name, ds.name
        source = str(ds.monthly.attrs.get("source", ds.name))
        per = ds.periods if per is None else per
        guid = ds.guidance if guid is None else guid
    check_consistency(history, per)
    return Inputs(history, per, guid, name, source, label or source,
                  load_prices_or_embedded(prices))


def last_reported_month(history: pd.DataFrame,
                        periods: pd.DataFrame | None = None) -> pd.Period:
    """The default as-of: the last month with a gold_oz figure, or the last month a
    published gold total covers when that is later (a quarterly reporter).

    Raises:
        UsageError: no month has a figure.
    """
    idx = history[TARGET].last_valid_index()
    if periods is not None and not periods.empty:
        ends = periods.loc[periods["metric"] == PRODUCED, "end"]
        if len(ends) and (idx is None or ends.max() > idx):
            idx = ends.max()
    if idx is None:
        raise UsageError(f"{history.attrs.get('source', '<data>')}: gold_oz: no month has a "
                         f"figure; nothing to forecast from")
    return idx
