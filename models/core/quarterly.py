"""A zoo member fitted on quarterly totals, for years whose months were never published.

Many plant-years are known only through quarterly, half-year or year-to-date totals. A
member that reads only the order of its values (``fits_quarterly``: the smoothing family,
ETS, naive) can be fitted on the quarterly series those totals define
(``models.data.periods.quarterly_series``) with a season of 4 quarters, and forecast the
remaining quarters of the year. Its monthly paths are each simulated quarter split evenly
over the quarter's three months: the quarterly and annual totals are the model's, the
split inside a quarter carries no information and is never scored against months.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from models.core.base import ForecastModel, contiguous_tail
from models.core.columns import TARGET
from models.core.errors import ModelDeclined
from models.data.periods import quarterly_series

log = logging.getLogger(__name__)

#: season length of a quarterly series
QUARTERS = 4
#: fewest observed quarters any member is fitted on
MIN_QUARTERS = 2


def min_quarters(member: ForecastModel) -> int:
    """Observed quarters a member needs: its own minimum of months, counted in quarters."""
    return max(MIN_QUARTERS, -(-member.min_history // 3))


class QuarterlyFit(ForecastModel):
    """``member`` fitted on quarterly totals (season 4); months = quarters split evenly (oz)."""

    handles_missing = True
    uses_periods = True
    min_history = 0

    def __init__(self, *, member: ForecastModel):
        self.member = member

    @property
    def name(self) -> str:  # type: ignore[override]
        """The member's zoo name: the forecast is the member's."""
        return self.member.name

    def fit(self, history: pd.DataFrame, periods: pd.DataFrame | None = None, *,
            min_history: int | None = None) -> QuarterlyFit:
        """Fit the member on the quarterly series up to the last month (a quarter end).

        Raises:
            ModelDeclined: the last month is not a quarter end, or too few quarters.
        """
        as_of = history.index[-1]
        if as_of.month % 3:
            raise ModelDeclined(f"{self.name}: quarterly fit needs an as-of at a quarter end, "
                                f"got {as_of}")
        q = quarterly_series(history, periods, as_of)
        first = q.first_valid_index()
        if first is None:
            raise ModelDeclined(f"{self.name}: no quarter with a known total")
        frame = q.loc[first:].to_frame(TARGET)
        member = self.member
        # A season, and a bootstrap block of one season, are 4 quarters.
        seasonal = {k: QUARTERS for k in ("season_length", "block_length")
                    if k in member._param_names()}
        member = type(member)(**{**member.get_params(), **seasonal})
        if not member.handles_missing and frame[TARGET].isna().any():
            frame = contiguous_tail(frame)
        try:
            member.fit(frame, min_history=min_quarters(member))
        except ModelDeclined as exc:
            raise ModelDeclined(f"{self.name}: on quarterly totals: "
                                f"{str(exc).removeprefix(self.name + ': ')}") from None
        self.fitted_member_ = member
        self.quarters_ = int(frame[TARGET].notna().sum())
        self.last_month_ = as_of
        self.n_obs_ = self.quarters_
        log.debug("%s fitted on %d quarterly totals up to %s", self.name, self.quarters_,
                 as_of.asfreq("Q"))
        return self

    def get_params(self) -> dict[str, Any]:
        """The member's parameters (the adapter adds none)."""
        return self.member.get_params()

    def _sample(self, horizon: int, n_paths: int, rng: np.random.Generator,
                future: pd.DataFrame | None) -> np.ndarray:
        n_q = -(-horizon // 3)
        seed = int(rng.integers(0, 2**63 - 1))
        quarters = self.fitted_member_.sample_paths(n_q, n_paths, seed)
        return np.repeat(quarters / 3.0, 3, axis=1)[:, :horizon]
