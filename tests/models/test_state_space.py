"""Structural state-space model: missing months, real data, seasonality, coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import models
from models.core.calendar import month_of_year
from models.core.errors import ModelDeclined
from models.core.pipeline import fit_model
from models.core.year import forecast_year
from models.zoo.state_space import StateSpace

DYNACOR = Path(models.__file__).parent / "data" / "datasets" / "dynacor" / "monthly.csv"
PROFILE = np.array([0.80, 0.82, 0.92, 1.00, 1.05, 1.07, 1.07, 1.07, 1.06, 1.05, 1.05, 1.04])
PROFILE = PROFILE / PROFILE.mean()


def dynacor_monthly() -> pd.DataFrame:
    """The real Dynacor monthly figures, 2016-01..2017-12 (Jul-Oct 2016 missing)."""
    raw = pd.read_csv(DYNACOR)
    idx = pd.PeriodIndex(raw["month"], freq="M", name="month")
    return pd.DataFrame({"gold_oz": raw["gold_oz"].astype(float).to_numpy()}, index=idx)


def log_level_frame(months: int, seed: int, seasonal: bool = True, sd_level: float = 0.03,
                    sd_obs: float = 0.05) -> pd.DataFrame:
    """exp(local level with drift + noise) times PROFILE: the model's own process (oz)."""
    rng = np.random.default_rng(seed)
    level = np.log(6000.0) + np.cumsum(0.004 + sd_level * rng.standard_normal(months))
    y = np.exp(level + sd_obs * rng.standard_normal(months))
    idx = pd.period_range("2010-01", periods=months, freq="M", name="month")
    if seasonal:
        y = y * PROFILE[month_of_year(idx)]
    return pd.DataFrame({"gold_oz": y}, index=idx)


def test_fits_the_real_series_with_four_missing_months_and_gives_a_sane_2017():
    hist = dynacor_monthly()
    yf = forecast_year(StateSpace(), hist, pd.Period("2017-06", freq="M"), n_paths=4000,
                       seed=0)
    assert yf.ytd_oz == pytest.approx(35_310.0)
    annual = yf.annual_paths
    # Actual 2017 output was 79,897 oz; the first half alone was 35,310 oz.
    assert 70_000 < annual.mean() < 90_000
    p05, p95 = np.quantile(annual, [0.05, 0.95])
    assert p05 < 79_897 < p95
    assert p95 - p05 < 40_000


def test_missing_months_are_used_not_dropped():
    hist = log_level_frame(40, 1)
    hist.iloc[20:24, 0] = np.nan
    m = fit_model(StateSpace(), hist)
    assert m.n_obs_ == 36 and m.result_.nobs == 40


def test_missing_last_months_widen_the_next_months_spread():
    full = log_level_frame(72, 2, seasonal=False, sd_level=0.06, sd_obs=0.03)
    gapped = full.copy()
    gapped.iloc[-4:, 0] = np.nan
    # No seasonal here, so the comparison isolates what the filter does across the gap.
    spec = {"seasonal_min_months": 999}
    sd_full = StateSpace(**spec).fit(full).sample_paths(1, 4000, seed=0).std()
    # Four unobserved months: the month after them is five steps from the last figure.
    sd_gap = StateSpace(**spec).fit(gapped).sample_paths(1, 4000, seed=0).std()
    assert sd_gap > 1.3 * sd_full


def test_mean_path_follows_the_seasonal_profile():
    m = StateSpace().fit(log_level_frame(72, 3))
    assert m.spec_["seasonal"]
    mean = m.sample_paths(12, 2000, seed=0).mean(axis=0)
    months = month_of_year(m.future_index(12))
    assert np.corrcoef(mean, PROFILE[months])[0, 1] > 0.85


@pytest.mark.slow
def test_80pct_interval_covers_about_80pct_of_outcomes():
    hits = []
    for rep in range(24):
        full = log_level_frame(42, 300 + rep, seasonal=False)
        paths = StateSpace().fit(full.iloc[:36]).sample_paths(6, 800, seed=rep)
        lo, hi = np.quantile(paths, [0.1, 0.9], axis=0)
        truth = full["gold_oz"].to_numpy()[36:]
        hits.append((truth >= lo) & (truth <= hi))
    coverage = float(np.mean(hits))
    assert 0.65 <= coverage <= 0.93, coverage


def test_declines_with_fewer_than_twelve_observed_months():
    hist = log_level_frame(16, 4)
    hist.iloc[3:8, 0] = np.nan
    with pytest.raises(ModelDeclined, match="state_space"):
        fit_model(StateSpace(), hist)


def test_a_shutdown_month_does_not_inflate_the_spread():
    hist = log_level_frame(48, 5, seasonal=False)
    base_sd = StateSpace().fit(hist).sample_paths(6, 2000, seed=0).sum(axis=1).std()
    hist.iloc[30, 0] = 0.0
    m = StateSpace().fit(hist)
    annual = m.sample_paths(6, 2000, seed=0).sum(axis=1)
    # A zero is ~9 log units below the rest; fitted as data it would blow the variances up.
    assert annual.std() < 1.5 * base_sd
    assert np.isnan(m.result_.model.endog[30, 0])
