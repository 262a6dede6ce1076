"""A simulated plant as a company publishes it: quarterly-only early years, a gap, totals.

Real plants rarely publish every month from their first year. Dynacor, the reference
plant, published only quarterly, half-year and annual totals until 2015, left July-October
2016 out of its monthly releases (their quarter's total and the year's are known), and
published every month from November 2016 (models/data/datasets/dynacor/README.md). ``as_published``
gives a simulated plant (``models.simulator.plant.simulate_plant``) the same pattern, so that the
backtest, the selection and the calibration checks run on histories shaped like the real
one. The result is labelled synthetic like the plant it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from models.core.columns import TARGET
from models.data.periods import PRODUCED

PERIOD_COLUMNS = ["period", "start", "end", "metric", "value", "unit", "source",
                  "release_date"]


def _row(label: str, start: pd.Period, end: pd.Period, oz: float, source: str) -> dict:
    released = (end + 1).to_timestamp() + pd.Timedelta(days=20)
    return {"period": label, "start": start, "end": end, "metric": PRODUCED,
            "value": float(round(oz)), "unit": "oz", "source": source,
            "release_date": released.strftime("%Y-%m-%d")}


def as_published(plant: pd.DataFrame, *, quarterly_years: int = 6,
                 gap_months: Sequence[int] = (7, 8, 9, 10),
                 unpublished_quarters: Sequence[tuple[int, int]] = ((1, 3), (1, 4), (2, 2),
                                                                     (2, 3), (2, 4)),
                 monthly_tonnes: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plant's history and period totals as the reference plant published its own.

    Args:
        plant: a simulated production frame (monthly PeriodIndex, ``gold_oz`` oz), whole
            years from January.
        quarterly_years: first years published only as quarterly and annual totals.
        gap_months: months (1-12) of the next year left out of the monthly figures (their
            quarters' totals are published).
        unpublished_quarters: (year offset, quarter) of quarterly-only years whose quarter
            was never published on its own (the year's total still is), as for Dynacor's
            2011 H2 and 2012 Q2-Q4.
        monthly_tonnes: keep the ore tonnes columns (the reference plant published none).
    Returns:
        (production frame with the unpublished months empty, periods frame in the columns
        of ``models.data.tables.load_periods``: quarterly totals of the quarterly-only years and
        of the gap's quarters, annual totals of every complete year but the last).
    """
    history = plant.copy()
    history.attrs = dict(plant.attrs)
    source = str(plant.attrs.get("source", "synthetic"))
    years = sorted(set(history.index.year))
    first = years[0]
    quarterly = set(years[:quarterly_years])
    months = history.index
    hidden = np.isin(months.year, list(quarterly))
    if len(years) > quarterly_years:
        gap_year = years[quarterly_years]
        hidden |= (months.year == gap_year) & np.isin(months.month, list(gap_months))
    else:
        gap_year = None
    y = history[TARGET]
    rows = []
    skip = {(first + off, q) for off, q in unpublished_quarters}
    for year in years:
        for q in range(1, 5):
            start = pd.Period(f"{year}-{3 * q - 2:02d}", "M")
            end = start + 2
            span = y.loc[start:end]
            covers_gap = year == gap_year and bool(set(range(3 * q - 2, 3 * q + 1))
                                                  & set(gap_months))
            if (year in quarterly and (year, q) not in skip or covers_gap) and len(span) == 3:
                rows.append(_row(f"{year}Q{q}", start, end, float(span.sum()), source))
        whole = y.loc[str(year)]
        if len(whole) == 12 and year != years[-1]:
            rows.append(_row(str(year), pd.Period(f"{year}-01", "M"),
                             pd.Period(f"{year}-12", "M"), float(whole.sum()), source))
    history.loc[hidden, TARGET] = np.nan
    if not monthly_tonnes:
        history = history.drop(columns=[c for c in ("ore_purchased_t", "ore_processed_t",
                                                    "head_grade_gpt", "recovery_pct")
                                        if c in history.columns])
    periods = pd.DataFrame(rows, columns=PERIOD_COLUMNS)
    periods["start"] = periods["start"].astype("period[M]")
    periods["end"] = periods["end"].astype("period[M]")
    return history, periods


def as_quarterly_reporter(plant: pd.DataFrame, seed: int = 0, *,
                          ytd_months: Sequence[int] = (5, 11),
                          restate_sd: float = 0.002) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plant as a quarterly reporter: no monthly figure, only period totals.

    The release pattern of the reference plant from 2019: every quarter's total about three
    weeks after it, year-to-date totals at odd months (Dynacor published "the first five
    months" and September-November figures), the year's total, and restatements: each
    quarter is published again with the next year's annual figures, revised by a small
    relative amount (normal, sd ``restate_sd``; the later release wins).

    Args:
        plant: a simulated production frame, whole years from January.
        seed: seed of the revisions.
        ytd_months: months (1-11) at whose end a year-to-date total is published.
        restate_sd: relative size of a restatement.
    Returns:
        (production frame with every ``gold_oz`` empty and no tonnes, periods frame).
    """
    rng = np.random.default_rng(seed)
    source = str(plant.attrs.get("source", "synthetic"))
    y = plant[TARGET]
    years = sorted(set(plant.index.year))
    rows = []
    for year in years:
        whole = y.loc[str(year)]
        final = 0.0
        for q in range(1, 5):
            start = pd.Period(f"{year}-{3 * q - 2:02d}", "M")
            oz = float(y.loc[start:start + 2].sum())
            rows.append(_row(f"{year}Q{q}", start, start + 2, oz, source))
            if year != years[-1]:
                # Restated a year later, with the annual total they add up to.
                again = _row(f"{year}Q{q}", start, start + 2,
                             oz * (1 + restate_sd * rng.standard_normal()), source)
                again["release_date"] = f"{year + 1}-02-20"
                rows.append(again)
                final += again["value"]
        for m in ytd_months:
            start, end = pd.Period(f"{year}-01", "M"), pd.Period(f"{year}-{m:02d}", "M")
            rows.append(_row(f"{start}..{end}", start, end, float(y.loc[start:end].sum()),
                             source))
        if len(whole) == 12 and year != years[-1]:
            total = _row(str(year), pd.Period(f"{year}-01", "M"), pd.Period(f"{year}-12", "M"),
                         final, source)
            total["release_date"] = f"{year + 1}-02-20"
            rows.append(total)
    history = plant[[TARGET]].copy()
    history[TARGET] = np.nan
    history.attrs = dict(plant.attrs)
    periods = pd.DataFrame(rows, columns=PERIOD_COLUMNS)
    periods["start"] = periods["start"].astype("period[M]")
    periods["end"] = periods["end"].astype("period[M]")
    return history, periods
