"""A production file of a million monthly rows, written at test time (never committed).

A million consecutive months span 83,333 years, so such a file cannot be valid: the rows
from 1900-01 up to the current month are good, the later ones are future months, and from
year 10000 on the month is no longer ``YYYY-MM`` at all. The file checks that a huge bad
input is rejected in one pass with a bounded error report, not that it is accepted.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

#: first month of the huge file
HUGE_START = pd.Period("1900-01", freq="M")
#: rows of the huge file
HUGE_ROWS = 1_000_000


def write_huge_csv(path: Path, n_rows: int = HUGE_ROWS, gold_oz: float = 7000.0) -> Path:
    """Write ``month,gold_oz`` with ``n_rows`` consecutive months from 1900-01.

    Args:
        path: CSV file to write (about 15 MB for a million rows).
        n_rows: number of month rows.
        gold_oz: ounces written in every month.
    Returns:
        ``path``.
    """
    start = HUGE_START.year
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        f.write("month,gold_oz\n")
        chunk = 100_000
        for first in range(0, n_rows, chunk):
            f.write("".join(f"{start + i // 12:04d}-{i % 12 + 1:02d},{gold_oz:g}\n"
                            for i in range(first, min(first + chunk, n_rows))))
    return Path(path)


def valid_rows(n_rows: int = HUGE_ROWS, today: dt.date | None = None) -> int:
    """Rows of the huge file whose month is not after the current month (the valid ones)."""
    current = pd.Period(today or dt.date.today(), freq="M")
    return max(0, min(n_rows, (current - HUGE_START).n + 1))
