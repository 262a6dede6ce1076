"""The track record of a publication root: every publication on disk scored against the
actuals known now.

One row per publication (the earlier ones under ROOT and the one being made): its annual
P10/P50/P90 and the guidance in force then (from its own ``annual.json``), against the
year's total once the data holds it (APE of the P50 and of the guidance midpoint, inside
the 80% interval); and its forecast of the month after its as-of (from its own
``monthly.csv``) against that month's figure once known (one-step APE, inside 80%).
Computed from files and the data only, so re-running a publication gives the same bytes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.publish.placing import publications
from models.core.columns import TARGET

TRACK_RECORD = "track_record.csv"
#: the columns of track_record.csv; oz, percent (``*_pct``) and 0/1 flags; empty = not known yet
TRACK_COLUMNS = ["year", "as_of", "months_known", "p10", "p50", "p90", "guidance_low",
                 "guidance_high", "actual", "ape_pct", "inside80", "guidance_ape_pct",
                 "next_month", "month_p10", "month_p50", "month_p90", "month_actual",
                 "month_ape_pct", "month_inside80"]


def _row(annual: dict[str, Any], monthly: pd.DataFrame, totals: dict[int, float],
         actual_months: pd.Series) -> dict[str, Any]:
    year, as_of = int(annual["year"]), pd.Period(annual["as_of"], freq="M")
    row: dict[str, Any] = {c: np.nan for c in TRACK_COLUMNS}
    row.update(year=year, as_of=str(as_of), months_known=int(annual["months_actual"]),
               p10=annual["p10"], p50=annual["p50"], p90=annual["p90"],
               guidance_low=annual.get("guidance_low"), guidance_high=annual.get("guidance_high"))
    total = totals.get(year)
    if total is not None and total > 0:
        row.update(actual=total, ape_pct=abs(annual["p50"] - total) / total * 100,
                   inside80=float(annual["p10"] <= total <= annual["p90"]))
        if annual.get("guidance_low") is not None:
            mid = (annual["guidance_low"] + annual["guidance_high"]) / 2
            row["guidance_ape_pct"] = abs(mid - total) / total * 100
    nxt = monthly.loc[monthly["kind"] == "forecast"].head(1)
    if not nxt.empty:
        month = str(nxt["month"].iloc[0])
        row.update(next_month=month, month_p10=float(nxt["p10"].iloc[0]),
                   month_p50=float(nxt["p50"].iloc[0]), month_p90=float(nxt["p90"].iloc[0]))
        value = actual_months.get(month)
        if value is not None and math.isfinite(value) and value > 0:
            row.update(month_actual=value,
                       month_ape_pct=abs(row["month_p50"] - value) / value * 100,
                       month_inside80=float(row["month_p10"] <= value <= row["month_p90"]))
    return row


def earlier_publications(root: Path, before: pd.Period) -> list[Path]:
    """Publication folders (``forecast.publish.placing.publications``) with an as-of before
    ``before`` and the files a track record reads, ordered by as-of."""
    return [p for p in publications(root) if p.name < str(before)
            and all((p / f).is_file() for f in ("manifest.json", "annual.json", "monthly.csv"))]


def previous_publication(root: Path, year: int, as_of: pd.Period) -> Path | None:
    """The latest complete publication of target ``year`` under ``root`` made at an as-of
    before ``as_of``, or None."""
    same_year = [p for p in earlier_publications(root, as_of) if p.parent.name == str(year)]
    return same_year[-1] if same_year else None


def track_record(root: Path, current: tuple[dict[str, Any], pd.DataFrame],
                 history: pd.DataFrame, periods: pd.DataFrame | None) -> pd.DataFrame:
    """Score every publication under ``root`` before the current one, and the current one.

    Args:
        root: the publication root (ROOT).
        current: the publication being made: its ``annual.json`` record and ``monthly.csv``
            frame.
        history: validated production history known now (monthly PeriodIndex, ``gold_oz``).
        periods: validated period totals known now, or None.
    Returns:
        frame with ``TRACK_COLUMNS``, one row per publication in as-of order; NaN where an
        actual is not known yet.
    """
    from models.data.periods import annual_totals

    totals = annual_totals(history, periods)
    months = history[TARGET].dropna()
    actual_months = pd.Series(months.to_numpy(dtype=float), index=[str(m) for m in months.index])
    annual, monthly = current
    rows = [_row(json.loads((p / "annual.json").read_text()),
                 pd.read_csv(p / "monthly.csv", dtype={"month": str}), totals, actual_months)
            for p in earlier_publications(root, pd.Period(annual["as_of"], freq="M"))]
    rows.append(_row(annual, monthly, totals, actual_months))
    frame = pd.DataFrame(rows, columns=TRACK_COLUMNS)
    for col in ("ape_pct", "guidance_ape_pct", "month_ape_pct"):
        frame[col] = frame[col].astype(float).round(2)
    return frame


def track_metrics(frame: pd.DataFrame) -> dict[str, float]:
    """Summary metrics of a track record for the MLflow run: mean APE (%) and share inside
    the 80% interval of the annual P50 and of the one-step month, and the counts scored."""
    annual, month = frame.dropna(subset=["actual"]), frame.dropna(subset=["month_actual"])
    out = {"track_n_annual_scored": float(len(annual)),
           "track_n_month_scored": float(len(month))}
    if len(annual):
        out.update(track_annual_ape_pct=float(annual["ape_pct"].mean()),
                   track_annual_inside80=float(annual["inside80"].mean()))
    if len(month):
        out.update(track_month_ape_pct=float(month["month_ape_pct"].mean()),
                   track_month_inside80=float(month["month_inside80"].mean()))
    return out


#: months known grouped for the report's sentence
BUCKETS = ((0, 3, "0-3"), (4, 7, "4-7"), (8, 11, "8-11"))

#: below this many complete years the sentence says its rates are indicative only: the
#: publications of one year share that year's surprise, so they are not independent
MIN_YEARS_FOR_RATES = 3


def _count(n: int, noun: str) -> str:
    """``1 publication``, ``3 publications``: a count as a reader says it."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def track_sentence(frame: pd.DataFrame) -> str | None:
    """How far the published P50 was from the actual by months known, next to guidance at
    the same dates, over every complete year on disk, each rate with the number of
    publications behind it, and a caveat while fewer than ``MIN_YEARS_FOR_RATES`` years are
    complete; None before any."""
    done = frame.dropna(subset=["actual"])
    if done.empty:
        return None
    years = sorted(done["year"].astype(int).unique())
    n = len(done)
    parts = []
    for lo, hi, label in BUCKETS:
        sel = done.loc[done["months_known"].between(lo, hi)]
        if len(sel):
            parts.append(f"{label} months known: {sel['ape_pct'].mean():.1f}%, n={len(sel)}")
    inside = int(done["inside80"].sum())
    text = (f"Over {_count(len(years), 'complete year')} on disk "
            f"({', '.join(map(str, years))}), the published median was "
            f"{done['ape_pct'].mean():.1f}% from the actual on average over "
            f"{_count(n, 'publication')} ({'; '.join(parts)}), its 80% interval held the "
            f"actual {inside / n:.0%} of the time ({inside} of {_count(n, 'publication')})")
    guided = done.dropna(subset=["guidance_ape_pct"])
    if len(guided):
        text += (f"; the guidance midpoint at the same {_count(len(guided), 'date')} was "
                 f"{guided['guidance_ape_pct'].mean():.1f}% off")
    text += "."
    if len(years) < MIN_YEARS_FOR_RATES:
        text += (f" With {_count(len(years), 'complete year')} and {_count(n, 'publication')}"
                 f" scored, these rates are indicative only: the publications of one year "
                 f"share its surprises.")
    return text
