"""Every model of the zoo on randomly gapped histories: a forecast or a declared decline,
and every summary written finite and consistent (the mean inside the paths' range)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError, ModelDeclined
from models.core.summary import annual_summary, monthly_frame, quarterly_frame
from models.core.year import forecast_year
from models.simulator.plant import simulate_plant
from models.zoo import make_model, model_names

#: gap patterns drawn per model: a month or a run of months unpublished, past years included
N_PATTERNS = 4


def _gapped(seed: int) -> tuple[pd.DataFrame, pd.Period]:
    """A simulated 300 tpd plant (5 years) with 1-6 random months unpublished (NaN) before
    a random as-of in the last year, and the as-of."""
    rng = np.random.default_rng(seed)
    plant = simulate_plant(60, seed=seed, start="2013-01")
    as_of = plant.index[int(rng.integers(49, 59))]
    history = plant.loc[:as_of].copy()
    n_gaps = int(rng.integers(1, 7))
    start = int(rng.integers(1, len(history) - 1 - n_gaps))
    if rng.random() < 0.5:  # one run of months
        months = np.arange(start, start + n_gaps)
    else:  # scattered months
        months = rng.choice(np.arange(1, len(history) - 1), size=n_gaps, replace=False)
    history.iloc[months, history.columns.get_loc("gold_oz")] = np.nan
    return history, as_of


def _finite(value: object) -> bool:
    return not isinstance(value, float) or math.isfinite(value)


@pytest.mark.slow
@pytest.mark.parametrize("name", model_names())
def test_gapped_histories_give_finite_consistent_summaries(name: str) -> None:
    forecasts = 0
    for seed in range(N_PATTERNS):
        history, as_of = _gapped(seed)
        try:
            yf = forecast_year(make_model(name), history, as_of, n_paths=300, seed=seed)
        except (ModelDeclined, DataValidationError) as exc:
            assert str(exc)  # a decline says why
            continue
        forecasts += 1
        annual = annual_summary(yf, (60_000.0, 70_000.0))
        assert all(_finite(v) for v in annual.values()), (name, seed, annual)
        paths = yf.annual_paths
        assert paths.min() - 0.1 <= annual["mean"] <= paths.max() + 0.1, (name, seed)
        assert annual["p05"] <= annual["p50"] <= annual["p95"]
        for frame in (monthly_frame(yf), quarterly_frame(yf)):
            numbers = frame.select_dtypes("number").to_numpy(dtype=float)
            assert np.isfinite(numbers).all(), (name, seed)
            assert (numbers >= 0).all(), (name, seed)
    # The models that read through gaps or after the last one must forecast somewhere.
    if make_model(name).handles_missing:
        assert forecasts > 0, name
