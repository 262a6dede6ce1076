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


PricesFile = Annotated[Path | None, typer.Option(
    "--prices", help="Monthly gold price history (CSV or Parquet: month, usd_per_oz); "
    "default: the embedded World Bank monthly average, 1990-2017.")]
PriceDeckText = Annotated[str | None, typer.Option(
    "--price-deck", help="Planning gold price for the months after --as-of: USD/oz (e.g. "
    "1850) or a file of monthly prices (month, usd_per_oz); default: price paths from the "
    "price history's own volatility.")]
GuidanceMetric = Annotated[str, typer.Option(
    "--guidance-metric", help="Metric of --guidance-range: oz, aueq_oz (gold-equivalent "
    "oz) or sales_usd (US dollars of sales).")]

#: the largest sales guidance accepted (USD): beyond any gold processor's year
MAX_SALES_USD = 1e12


def parse_guidance_range(text: str, metric: str = "oz") -> tuple[float, float]:
    """Parse ``LOW:HIGH`` (in ``metric``: oz, oz AuEq or USD, e.g. ``88000:92000``) into
    (low, high).

    Both finite, 0 <= LOW <= HIGH, and for ounces at most twelve months at the data's
    largest plausible month (``models.data.schema.UNIT_ERROR_LIMIT`` oz); for sales at most
    ``MAX_SALES_USD``.
    """
    from models.data.schema import GUIDANCE_METRICS, UNIT_ERROR_LIMIT

    if metric not in GUIDANCE_METRICS:
        raise UsageError(f"--guidance-metric: expected one of {', '.join(GUIDANCE_METRICS)}, "
                         f"got {metric!r}")
    unit = GUIDANCE_METRICS[metric]
    example = "200000000:220000000" if metric == "sales_usd" else "88000:92000"
    try:
        low_s, high_s = text.split(":")
        low, high = float(low_s.replace("_", "")), float(high_s.replace("_", ""))
    except ValueError:
        raise UsageError(f"--guidance-range: expected LOW:HIGH in {unit} (e.g. {example}), "
                         f"got {text!r}") from None
    limit = MAX_SALES_USD if metric == "sales_usd" else 12 * UNIT_ERROR_LIMIT
    if not (0 <= low <= high <= limit):
        raise UsageError(f"--guidance-range: expected finite 0 <= LOW <= HIGH <= "
                         f"{limit:,.0f} {unit}, got {text!r}")
    return low, high


def parse_price_deck(text: str | None):
    """``--price-deck``: a flat price (USD/oz, e.g. ``1850``) or a monthly price file.

    Returns:
        ``models.core.price_paths.PriceDeck`` or None when not given.
    Raises:
        UsageError: a number that is not a plausible price.
        DataValidationError: a deck file that is not a valid price table.
    """
    from models.core.price_paths import PriceDeck
    from models.data.tables import load_prices

    if text is None:
        return None
    try:
        value = float(text.replace("_", ""))
    except ValueError:
        deck = load_prices(text)
        return PriceDeck(monthly=deck, label=f"deck {text}")
    try:
        return PriceDeck.flat_price(value)
    except ValueError as exc:
        raise UsageError(f"--price-deck: {exc} (or a file of monthly prices), got "
                         f"{text!r}") from None


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


def scenario_values(items: list[str]) -> dict[str, float] | None:
    """``--scenario COLUMN=VALUE`` items as {column: value}, checked as ``parse_scenario``
    checks them (None when none is given)."""
    if not items:
        return None
    frame = parse_scenario(items, pd.period_range("2000-01", periods=1, freq="M"))
    return {c: float(frame[c].iloc[0]) for c in frame.columns}


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
