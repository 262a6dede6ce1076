from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.core.paths import guidance_probabilities
from models.core.summary import (
    ANNUAL_KEYS,
    MONTHLY_COLUMNS,
    annual_summary,
    monthly_frame,
    quarterly_frame,
)
from models.core.year import forecast_year
from models.zoo.seasonal_naive import SeasonalNaive


@pytest.fixture(scope="module")
def yf(plant):
    return forecast_year(SeasonalNaive(), plant, pd.Period("2018-04", "M"), n_paths=2000,
                         seed=3)


def test_monthly_frame_contract(yf, plant):
    m = monthly_frame(yf)
    assert list(m.columns) == MONTHLY_COLUMNS and len(m) == 12
    assert list(m["kind"]) == ["actual"] * 4 + ["forecast"] * 8
    actual = plant.loc["2018-01":"2018-04", "gold_oz"].round(1).to_numpy()
    for col in ("mean", "p10", "p50", "p90"):
        np.testing.assert_allclose(m[col].to_numpy()[:4], actual)
    fc = m.iloc[4:]
    assert (fc["p10"] <= fc["p50"]).all() and (fc["p50"] <= fc["p90"]).all()
    assert (fc["p90"] > fc["p10"]).all()


def test_quarterly_kinds_and_totals(yf):
    q = quarterly_frame(yf)
    assert list(q["kind"]) == ["actual", "partial", "forecast", "forecast"]
    # each quarter mean is rounded to 0.1 oz
    assert q["mean"].sum() == pytest.approx(yf.annual_paths.mean(), abs=0.2)


def test_annual_summary_contract_and_probabilities(yf):
    low, high = np.quantile(yf.annual_paths, [0.3, 0.6])
    a = annual_summary(yf, (low, high), model_version="7", data_sha256="abc",
                       orecast_version="0.1.0")
    assert list(a) == ANNUAL_KEYS
    assert a["p05"] <= a["p10"] <= a["p50"] <= a["p90"] <= a["p95"]
    # counted on the same paths (block-bootstrap totals have ties, so not exactly 0.3/0.4)
    assert a["prob_below_low"] == pytest.approx(np.mean(yf.annual_paths < low), abs=1e-4)
    assert a["prob_above_high"] == pytest.approx(np.mean(yf.annual_paths > high), abs=1e-4)
    assert 0.2 < a["prob_below_low"] <= 0.3 and 0.3 < a["prob_above_high"] <= 0.4
    assert a["prob_below_low"] + a["prob_within"] + a["prob_above_high"] == pytest.approx(1)
    assert a["months_actual"] == 4 and a["model"] == "seasonal_naive"


def test_annual_summary_without_guidance_has_null_odds(yf):
    a = annual_summary(yf)
    assert a["guidance_low"] is None and a["prob_within"] is None


def test_guidance_probabilities_counts_strictly():
    paths = np.array([1.0, 2.0, 3.0, 4.0])
    p = guidance_probabilities(paths, 2.0, 3.0)
    assert p == {"prob_below_low": 0.25, "prob_within": 0.5, "prob_above_high": 0.25}
