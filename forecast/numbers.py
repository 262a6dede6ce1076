"""How orecast writes a number for people: one rule for the console, the charts and the
report, so a figure reads the same wherever it appears."""

from __future__ import annotations

import math


def oz(x: float) -> str:
    """Whole troy ounces with thousands separators, rounded as the files publish the figure
    (to 0.1 oz) and then half up: 89,892.46 and 89,892.5 both read "89,893", so a chart
    labelled from the paths and a table of the published figure agree."""
    return f"{math.floor(round(float(x), 1) + 0.5):,d}"


def pct(p: float) -> str:
    """A probability in [0, 1] as a whole percent; "0%" and "100%" only when exact, "under 1%"
    and "over 99%" for what is merely unlikely or likely."""
    if p <= 0:
        return "0%"
    if p >= 1:
        return "100%"
    if p < 0.005:
        return "under 1%"
    if p > 0.995:
        return "over 99%"
    return f"{math.floor(p * 100 + 0.5)}%"


def usd(x: float) -> str:
    """US dollars as people read a year's sales: "US$91.3M" (to 0.1 million) from a
    million up, whole dollars with separators below."""
    x = float(x)
    if abs(x) >= 1e6:
        return f"US${x / 1e6:,.1f}M"
    return f"US${x:,.0f}"


def unit_of(measure: str | None) -> str:
    """The unit of a year's output as printed: "oz", or "oz AuEq" where the data is AuEq."""
    return measure or "oz"


def count(n: int, noun: str) -> str:
    """``1 month``, ``3 months``, ``0 origins``: a count with its noun in the right number."""
    return f"{n} {noun}{'' if n == 1 else 's'}"
