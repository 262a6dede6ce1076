"""The one period-totals logic: cumulative anchors, year-to-date, quarterly series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.data.periods import (
    annual_totals,
    cumulative_anchors,
    quarterly_series,
    ytd_at,
)
from models.data.tables import periods_from_table, table_from_bytes
from tests.models.series import gold_frame

M = "M"


def periods(rows: list[tuple[str, float]], release: str = "2020-01-01") -> pd.DataFrame:
    """A validated periods frame of ``gold_produced`` rows (period text, oz)."""
    text = "period,metric,value,unit,release_date\n" + "".join(
        f"{p},gold_produced,{v},oz,{release}\n" for p, v in rows)
    return periods_from_table(table_from_bytes(text.encode(), "p.csv", "csv"))


def test_ytd_comes_from_months_where_every_month_is_known(dynacor):
    ytd = ytd_at(dynacor.monthly, dynacor.periods, pd.Period("2017-05", M), 2017)
    assert ytd.source == "monthly" and ytd.months == 5
    assert ytd.oz == pytest.approx(5208 + 6733 + 5184 + 5087 + 6203)


def test_ytd_comes_from_totals_published_by_the_as_of(dynacor):
    # Jul-Sep 2016 were never published monthly; the 9-month total was (2016-11-14).
    ytd = ytd_at(dynacor.monthly, dynacor.periods, pd.Period("2016-09", M), 2016)
    assert ytd.source == "periods" and ytd.oz == pytest.approx(52462.0)
    # A total published only after the year (Q4 2016, Jan 2018) cannot give Oct 2016.
    assert ytd_at(dynacor.monthly, dynacor.periods, pd.Period("2016-10", M), 2016) is None


def test_quarterly_only_years_have_their_quarter_end_anchors(dynacor):
    a = cumulative_anchors(dynacor.monthly, dynacor.periods)
    assert a[2013] == {0: 0.0, 3: 20027.0, 6: 37920.0, 9: pytest.approx(57662.0),
                       12: 76883.0}
    assert annual_totals(dynacor.monthly, dynacor.periods)[2013] == 76883.0
    # Q3 2013 was never published on its own: Q4 and the year give it.
    q = quarterly_series(dynacor.monthly, dynacor.periods, pd.Period("2017-12", M))
    assert q[pd.Period("2013Q3", "Q")] == pytest.approx(76883.0 - 20027 - 17893 - 19221)
    assert np.isnan(q[pd.Period("2012Q2", "Q")])


def test_quarterly_series_uses_only_what_was_published_by_the_as_of(dynacor):
    q = quarterly_series(dynacor.monthly, dynacor.periods, pd.Period("2013-06", M))
    assert q.index[-1] == pd.Period("2013Q2", "Q")
    # Q3 2013 is known only from the 2013 total, published in 2014.
    full = quarterly_series(dynacor.monthly, dynacor.periods, pd.Period("2017-12", M))
    assert not np.isnan(full[pd.Period("2013Q3", "Q")])
    assert np.isnan(q.get(pd.Period("2013Q3", "Q"), np.nan))


def test_the_latest_release_of_a_span_wins():
    p = pd.concat([periods([("2019Q1", 100.0)], "2019-04-20"),
                   periods([("2019Q1", 90.0)], "2019-07-20")], ignore_index=True)
    assert cumulative_anchors(None, p)[2019][3] == 90.0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(100.0, 10_000.0), min_size=9, max_size=9),
       st.integers(0, 3), st.integers(0, 9))
def test_any_mix_of_months_and_chained_totals_gives_the_same_ytd(values, n_quarters, n_months):
    """Months published on their own, or through quarters chained from January, or a
    year-to-date total: the output to as-of is the same."""
    as_of = pd.Period("2019-09", M)
    y = np.round(values, 0)
    truth = float(y.sum())
    cut = 3 * n_quarters
    rows = [(f"2019Q{q + 1}", float(y[3 * q:3 * q + 3].sum())) for q in range(n_quarters)]
    hist = gold_frame(np.r_[np.full(cut, np.nan), y[cut:]], start="2019-01")
    ytd = ytd_at(hist, periods(rows) if rows else None, as_of, 2019)
    assert ytd is not None and ytd.oz == pytest.approx(truth)
    # ... and a single year-to-date total with no month at all
    lo = min(n_months, 8)
    hist2 = gold_frame(np.r_[np.full(9 - lo, np.nan), y[9 - lo:]], start="2019-01")
    total = periods([(f"2019-01..2019-{9 - lo:02d}", float(y[:9 - lo].sum()))])
    assert ytd_at(hist2, total, as_of, 2019).oz == pytest.approx(truth)
