"""The track record read by a newcomer: every rate carries the number of publications behind
it and a caveat while few years are complete; the chart draws the guidance and the actual
even for one publication, puts each publication at the end of its as-of month and labels
month ends ("Jun 2017"), never daily dates over each other."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

from forecast.charts import track_record_chart
from forecast.publish.track_record import TRACK_COLUMNS, track_sentence


def _track(as_ofs: list[str], actual: float | None = 90_500.0) -> pd.DataFrame:
    rows = []
    for i, a in enumerate(as_ofs):
        row = {c: np.nan for c in TRACK_COLUMNS}
        row.update(year=int(a[:4]), as_of=a, months_known=int(a[5:]), p10=80_000.0 + i,
                   p50=88_000.0 + i, p90=95_000.0, guidance_low=88_000.0,
                   guidance_high=92_000.0)
        if actual is not None:
            row.update(actual=actual, ape_pct=abs(row["p50"] - actual) / actual * 100,
                       inside80=1.0, guidance_ape_pct=abs(90_000 - actual) / actual * 100)
        rows.append(row)
    return pd.DataFrame(rows, columns=TRACK_COLUMNS)


def test_one_publication_gives_its_count_and_a_caveat():
    text = track_sentence(_track(["2017-06"]))
    assert "over 1 publication (" in text
    assert "n=1" in text
    assert "held the actual 100% of the time (1 of 1 publication)" in text
    assert "at the same 1 date was" in text and "1 dates" not in text
    assert "indicative only" in text


def test_three_complete_years_need_no_caveat():
    frame = pd.concat([_track([f"{y}-06"]).assign(year=y) for y in (2015, 2016, 2017)])
    text = track_sentence(frame)
    assert "Over 3 complete years" in text and "(3 of 3 publications)" in text
    assert "indicative" not in text


@pytest.mark.parametrize("as_ofs", [["2017-06"], ["2017-04", "2017-05", "2017-06"]])
def test_chart_draws_guidance_and_actual_and_labels_month_ends(as_ofs):
    fig = track_record_chart(_track(as_ofs))
    ax = fig.axes[0]
    ends = [pd.Period(a, freq="M").end_time.normalize() for a in as_ofs]
    # the medians sit at the end of each as-of month
    (median,) = [line for line in ax.get_lines() if line.get_label().endswith("median, 80% band")]
    assert [mdates.num2date(x).date() for x in median.get_xdata(orig=False)] == \
        [e.date() for e in ends]
    # guidance and actual are drawn with a width, even for one publication
    for collection in ax.collections:
        if collection.get_label() in ("2017: guidance in force", "2017: actual 90,500"):
            for seg in collection.get_segments():
                assert seg[1][0] - seg[0][0] >= 28  # days
    labels = {collection.get_label() for collection in ax.collections}
    assert {"2017: guidance in force", "2017: actual 90,500"} <= labels
    fig.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and len(ticks) <= 8 and len(set(ticks)) == len(ticks)
    assert all(pd.to_datetime(t, format="%b %Y") is not None for t in ticks)
    assert "Jun 2017" in ticks
    positions = [mdates.num2date(x) for x in ax.get_xticks()]
    assert all((p + pd.Timedelta(days=1)).day == 1 for p in positions)  # month ends


def test_chart_of_two_years_of_monthly_publications_keeps_at_most_eight_labels():
    months = [str(p) for p in pd.period_range("2016-01", "2017-12", freq="M")]
    fig = track_record_chart(_track(months))
    fig.canvas.draw()
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert 3 <= len(ticks) <= 8
