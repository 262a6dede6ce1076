"""Real data packaged with orecast: Dynacor's public figures, 2010-2017, and the monthly
average gold price, 1990-2017 (World Bank).

The files live in ``models/data/datasets/dynacor/`` and ``models/data/datasets/gold_price/``
(see their README.md for sources). They are
read as package data through ``importlib.resources``, so they work from an installed wheel.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import io
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import pandas as pd

from models.core.errors import UsageError
from models.data.tables import (
    PRICES_HINT,
    guidance_from_table,
    periods_from_table,
    prices_from_table,
    production_from_table,
    table_from_bytes,
)

#: the files of the Dynacor dataset
DYNACOR_FILES = ("monthly.csv", "periods.csv", "guidance.csv", "events.csv", "README.md")
#: ``attrs["source"]`` of frames loaded from the packaged files
DYNACOR_SOURCE = "dynacor (embedded)"
#: ``attrs["source"]`` of the packaged gold price history
GOLD_PRICE_SOURCE = "gold price (embedded, World Bank monthly average)"

# files extracted from a zipped install stay on disk until the interpreter exits
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A packaged dataset, validated.

    Attributes:
        monthly: production frame (monthly PeriodIndex ``month``, ``gold_oz`` in oz, ...).
        periods: period totals (``period``, ``start``, ``end``, ``metric``, ``value``, ...).
        guidance: annual guidance ranges (``year``, ``low_oz``, ``high_oz``, ``announced``).
        events: capacity changes, weather, plant moves, as read (all columns str).
        name: dataset name.
    """

    monthly: pd.DataFrame
    periods: pd.DataFrame
    guidance: pd.DataFrame
    events: pd.DataFrame
    name: str


def _resource(name: str) -> Traversable:
    if name not in DYNACOR_FILES:
        raise UsageError(f"dataset file: expected one of {', '.join(DYNACOR_FILES)}, "
                         f"found {name!r}")
    return resources.files(__name__).joinpath("dynacor", name)


def dynacor_path(name: str) -> Path:
    """Filesystem path of a packaged Dynacor file (``"monthly.csv"``, ``"guidance.csv"``...).

    Raises:
        UsageError: ``name`` is not one of ``DYNACOR_FILES``.
    """
    resource = _resource(name)
    if isinstance(resource, Path):
        return resource
    return _extracted.enter_context(resources.as_file(resource))


def dynacor_bytes(name: str) -> bytes:
    """The bytes of a packaged Dynacor file (what ``attrs["sha256"]`` is computed on)."""
    return _resource(name).read_bytes()


def raw(name: str) -> pd.DataFrame:
    """A packaged Dynacor CSV as read, every column str, nothing validated or dropped.

    The guidance file's single-figure rows (e.g. 2011, ``point_oz`` 45,000 oz sold), which
    the guidance frame leaves out, are here.
    """
    if not name.endswith(".csv"):
        raise UsageError(f"dataset file: expected a .csv file, found {name!r}")
    return pd.read_csv(io.BytesIO(dynacor_bytes(name)), dtype=str)


def dynacor(today: dt.date | None = None) -> Dataset:
    """Load the Dynacor dataset: monthly 2016-01..2017-12 (Jul-Oct 2016 unpublished, NaN),
    period totals 2010-2017, guidance 2015 and 2017 (with the October 2017 revision), events.

    Args:
        today: passed to the production validation (latest month allowed).
    Returns:
        Dataset whose frames have ``attrs["source"] == DYNACOR_SOURCE`` and
        ``attrs["sha256"]`` of the packaged file's bytes.
    """
    def table(name: str):
        return table_from_bytes(dynacor_bytes(name), DYNACOR_SOURCE, "csv")

    monthly = production_from_table(table("monthly.csv"), today)
    periods = periods_from_table(table("periods.csv"))
    guidance = guidance_from_table(table("guidance.csv"))
    return Dataset(monthly=monthly, periods=periods, guidance=guidance,
                   events=raw("events.csv"), name="dynacor")


def gold_price() -> pd.Series:
    """The packaged monthly average gold price, 1990-01..2017-12 (USD per troy oz; World
    Bank Commodity Markets "Pink Sheet", public domain; see gold_price/README.md).

    Returns:
        Series of USD/oz indexed by a monthly ``PeriodIndex`` named ``month``, with
        ``attrs["source"] == GOLD_PRICE_SOURCE`` and ``attrs["sha256"]`` of the file's bytes.
    """
    data = resources.files(__name__).joinpath("gold_price", "monthly.csv").read_bytes()
    return prices_from_table(table_from_bytes(data, GOLD_PRICE_SOURCE, "csv", PRICES_HINT))
