import numpy as np
import pytest

from models.kernels.seasonal import ratios_to_moving_average, shrunk_indices
from models.kernels.smoothing import fit_ses
from models.zoo.smoothing import SES, Damped
from models.zoo.theta import ThetaSES
from tests.models.series import gold_frame

frame = gold_frame


def seasonal_series(n=96, seed=0):
    rng = np.random.default_rng(seed)
    pattern = 1.0 + 0.3 * np.sin(2 * np.pi * np.arange(12) / 12)
    t = np.arange(n)
    return (1000 + 5 * t) * pattern[t % 12] * np.exp(0.02 * rng.standard_normal(n)), pattern


def test_seasonal_indices_recover_the_pattern():
    y, pattern = seasonal_series()
    idx = shrunk_indices(y, np.arange(y.size) % 12, 12)
    assert idx.mean() == pytest.approx(1.0)
    # A season far above its noise is kept whole by the shrinkage.
    np.testing.assert_allclose(idx, pattern / pattern.mean(), atol=0.03)


def test_shrinkage_flattens_noise_and_needs_two_seasons():
    noise = 100 + np.random.default_rng(3).standard_normal(96)
    months = np.arange(96) % 12
    raw = ratios_to_moving_average(noise, 12)
    raw_idx = np.array([np.nanmean(raw[months == m]) for m in range(12)])
    idx = shrunk_indices(noise, months, 12)
    assert np.abs(idx - 1).max() < 0.5 * np.abs(raw_idx / raw_idx.mean() - 1).max()
    y, _ = seasonal_series()
    assert shrunk_indices(y[:20], np.arange(20) % 12, 12) is None  # no ratio for some months


def test_ses_level_tracks_a_level_shift():
    y = np.r_[np.full(30, 100.0), np.full(30, 200.0)] + np.random.default_rng(1).normal(0, 1, 60)
    alpha, level, e = fit_ses(y)
    assert level == pytest.approx(200.0, abs=3.0)
    assert alpha > 0.3
    assert e.shape == (60,)


def test_theta_follows_half_the_trend_slope():
    t = np.arange(60, dtype=float)
    y = 500 + 10 * t + np.random.default_rng(2).normal(0, 5, 60)
    m = ThetaSES(season_length=12).fit(frame(y))
    # No season in the data: the shrunk indices stay within noise of 1.
    assert np.abs(m.season_ - 1.0).max() < 0.005
    point = m.point_forecast(12)
    # Theta extrapolates b0 / 2 per month (Hyndman & Billah 2003).
    assert np.diff(point).mean() == pytest.approx(5.0, rel=0.05)


def test_damped_trend_flattens_out():
    t = np.arange(80, dtype=float)
    y = 1000 + 8 * t + np.random.default_rng(4).normal(0, 4, 80)
    m = Damped(season_length=12).fit(frame(y))
    assert 0.8 <= m.phi_ <= 0.98 and 0 < m.beta_ <= m.alpha_
    steps = np.diff(m.point_forecast(60))
    assert steps[0] > steps[-1] > 0


@pytest.mark.parametrize("cls", [SES, ThetaSES, Damped])
def test_paths_are_centred_on_the_point(cls):
    y, _ = seasonal_series()
    m = cls(season_length=12).fit(frame(y))
    a = m.sample_paths(18, 4000, seed=7)
    point = m.point_forecast(18)
    np.testing.assert_allclose(a.mean(axis=0), point, rtol=0.03)


def test_seasonal_forecast_repeats_the_season_of_the_right_month():
    y, pattern = seasonal_series(n=97)  # ends one month into a season
    m = SES(season_length=12).fit(frame(y))
    point = m.point_forecast(12)
    # Positions continue from the history: month 97 has position 97 % 12 = 1.
    expected = pattern[(97 + np.arange(12)) % 12]
    np.testing.assert_allclose(point / point.mean(), expected / expected.mean(), atol=0.05)
