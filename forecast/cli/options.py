"""The command line's option values: their bounds, and the parsers of the options whose
values are more than a number (guidance ranges, scenarios, lists of years and models)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from models.core.calendar import MAX_YEAR, MIN_YEAR
from models.core.columns import EXOG_COLUMNS
from models.core.errors import UsageError

log = logging.getLogger(__name__)

#: bounds of the numeric options, stated in --help and enforced before any work
MAX_SEED = 2**32 - 1
#: paths per forecast: 200,000 paths of 12 months per member stay within a few hundred MiB;
#: fewer than 10 cannot give a 10th and a 90th percentile apart
MIN_PATHS, MAX_PATHS = 10, 200_000
#: bulk months ahead (50 years) and season length (months): beyond them a run would only
#: spend hours writing rows no one can use
MAX_HORIZON, MAX_SEASON_LENGTH = 600, 60


#: options publish and guidance share, with their help (``name: DataFile = None``)
DataFile = Annotated[Path | None, typer.Option(
    "--data", help="Production history (CSV or Parquet); default: the embedded Dynacor "
    "dataset.")]
PeriodsFile = Annotated[Path | None, typer.Option(
    "--periods", help="Period totals file (quarters, halves, year-to-date, years); default: "
    "the embedded dataset's with the embedded data.")]
ModelUri = Annotated[str, typer.Option(
    "--model", show_default=False, help="Registered model URI, models:/NAME@ALIAS or "
    "models:/NAME/VERSION (default: the champion alias of the model orecast).")]


def parse_guidance_range(text: str) -> tuple[float, float]:
    """Parse ``LOW:HIGH`` (oz, e.g. ``88000:92000``) into (low_oz, high_oz).

    Both finite, 0 <= LOW <= HIGH, and at most twelve months at the data's largest plausible
    month (``models.data.schema.UNIT_ERROR_LIMIT`` oz).
    """
    from models.data.schema import UNIT_ERROR_LIMIT

    try:
        low_s, high_s = text.split(":")
        low, high = float(low_s.replace("_", "")), float(high_s.replace("_", ""))
    except ValueError:
        raise UsageError(f"--guidance-range: expected LOW:HIGH in oz (e.g. 88000:92000), "
                         f"got {text!r}") from None
    if not (0 <= low <= high <= 12 * UNIT_ERROR_LIMIT):
        raise UsageError(f"--guidance-range: expected finite 0 <= LOW <= HIGH <= "
                         f"{12 * UNIT_ERROR_LIMIT:,} oz, got {text!r}")
    return low, high


def parse_scenario(items: list[str], months: pd.PeriodIndex) -> pd.DataFrame | None:
    """``["ore_purchased_t=8500", ...]`` -> a frame of those values for every future month.

    Args:
        items: ``COLUMN=VALUE`` strings; COLUMN an exogenous contract column, VALUE >= 0
            (tonnes per month for ore columns, t/day for capacity).
        months: the future months the scenario covers.
    Returns:
        DataFrame indexed by ``months`` (None when ``items`` is empty).
    """
    from models.data.schema import UNIT_ERROR_LIMIT

    if not items:
        return None
    allowed = (*EXOG_COLUMNS, "capacity_tpd")
    values: dict[str, float] = {}
    for item in items:
        col, sep, val = item.partition("=")
        col = col.strip()
        try:
            number = float(val)
        except ValueError:
            number = float("nan")
        if not sep or col not in allowed or not (0 <= number <= UNIT_ERROR_LIMIT):
            raise UsageError(f"--scenario: expected COLUMN=VALUE with COLUMN one of "
                             f"{', '.join(allowed)} and a finite VALUE from 0 to "
                             f"{UNIT_ERROR_LIMIT:,} (the bounds of the same column in a "
                             f"file), got {item!r}")
        values[col] = number
    return pd.DataFrame({c: [v] * len(months) for c, v in values.items()}, index=months)


def split_values(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, flattened: ``--years 2016,2017``."""
    out: list[str] = []
    for v in values or []:
        out += [part.strip() for part in v.split(",") if part.strip()]
    return out


def years_option(values: list[str] | None) -> list[int]:
    """``--years`` values as ints: repeated, comma-separated or ranges (``2011-2017``).

    Raises:
        UsageError: a value that is not ``YYYY`` or ``YYYY-YYYY`` (first <= last).
    """
    years: list[int] = []
    for text in split_values(values):
        first, sep, last = text.partition("-")
        if not all(len(t) == 4 and t.isdigit() for t in ([first, last] if sep else [first])):
            raise UsageError(f"--years: expected YYYY or a range YYYY-YYYY, got {text!r}")
        lo, hi = int(first), int(last) if sep else int(first)
        if not (MIN_YEAR <= lo and hi <= MAX_YEAR):
            raise UsageError(f"--years: expected years {MIN_YEAR}-{MAX_YEAR}, got {text!r}")
        if lo > hi:
            raise UsageError(f"--years: range {text!r} ends before it starts")
        years += [y for y in range(lo, hi + 1) if y not in years]
    return years
