"""The fan chart's two panels label months alike (``Jan`` .. ``Dec``, one size) and the
cumulative panel has a legend of its own for the fan, beside the guidance's."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.charts import fan_chart


@pytest.fixture(scope="module")
def year_forecast(dynacor):
    from models.core.year import forecast_year
    from models.zoo import make_model

    return forecast_year(make_model("share_runrate"), dynacor.monthly,
                         pd.Period("2017-06", freq="M"), n_paths=200,
                         periods=dynacor.periods)


def _labels(ax) -> list[tuple[str, float]]:
    return [(t.get_text(), t.get_fontsize()) for t in ax.get_xticklabels()]


def _legend_texts(ax) -> set[str]:
    texts = set()
    for artist in [ax.get_legend(), *ax.artists]:
        if artist is not None and hasattr(artist, "get_texts"):
            texts |= {t.get_text() for t in artist.get_texts()}
    return texts


@pytest.mark.parametrize("guidance", [None, (88_000.0, 92_000.0)])
def test_both_panels_label_months_alike_and_the_cumulative_fan_has_a_legend(year_forecast,
                                                                           guidance):
    fig = fan_chart(year_forecast, guidance)
    monthly, cumulative = fig.axes[:2]
    months = [m.strftime("%b") for m in pd.period_range("2017-01", "2017-12", freq="M")]
    assert [t for t, _ in _labels(monthly)] == months
    assert _labels(cumulative) == _labels(monthly)
    texts = _legend_texts(cumulative)
    assert {"80% interval", "50% interval", "median forecast", "actual to date"} <= texts
    if guidance is not None:
        assert "guidance 88,000-92,000 oz (year total)" in texts
