"""Small builders of model inputs shared by the model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def gold_frame(y, start: str = "2010-01") -> pd.DataFrame:
    """Monthly history of one plant: ``gold_oz`` (oz) on a PeriodIndex named ``month``."""
    idx = pd.period_range(start, periods=len(y), freq="M", name="month")
    return pd.DataFrame({"gold_oz": np.asarray(y, dtype=float)}, index=idx)
