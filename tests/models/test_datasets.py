"""The packaged Dynacor dataset: real figures, loaded and validated as any file would be."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pytest

from models.core.errors import UsageError
from models.data.datasets import DYNACOR_SOURCE, dynacor, dynacor_bytes, dynacor_path, raw
from models.data.tables import load_production


@pytest.fixture(scope="module")
def data():
    return dynacor()


def test_monthly_covers_2016_and_2017(data):
    monthly = data.monthly
    assert data.name == "dynacor"
    assert isinstance(monthly.index, pd.PeriodIndex) and monthly.index.freqstr == "M"
    assert monthly.index.equals(pd.period_range("2016-01", "2017-12", freq="M", name="month"))
    assert monthly["gold_oz"].dtype == np.float64


def test_unpublished_months_stay_empty(data):
    gold = data.monthly["gold_oz"]
    assert gold.loc["2016-07":"2016-10"].isna().all()
    assert gold.isna().sum() == 4


def test_2017_total_is_the_reported_79897_oz(data):
    assert data.monthly.loc["2017", "gold_oz"].sum() == 79_897
    annual = data.periods.query("period == '2017' and metric == 'gold_produced'")["value"]
    assert (annual == 79_897).all() and len(annual) == 4


def test_monthly_keeps_sources_and_hash(data):
    monthly = data.monthly
    assert monthly["source_url"].iloc[0].startswith("https://")
    assert monthly.loc["2017-12", "ore_processed_t"] == 8610
    assert monthly.attrs["source"] == DYNACOR_SOURCE
    assert monthly.attrs["sha256"] == hashlib.sha256(dynacor_bytes("monthly.csv")).hexdigest()


def test_packaged_path_loads_the_same_frame(data):
    path = dynacor_path("monthly.csv")
    assert path.read_bytes() == dynacor_bytes("monthly.csv")
    from_path = load_production(path)
    pd.testing.assert_frame_equal(from_path, data.monthly)
    assert from_path.attrs["sha256"] == data.monthly.attrs["sha256"]


def test_guidance_2017_was_revised(data):
    g2017 = data.guidance.loc[data.guidance["year"] == 2017]
    assert g2017[["low", "high"]].to_numpy().tolist() == [[88000, 92000], [78000, 80000]]
    assert g2017["announced"].tolist() == [pd.Timestamp("2017-01-12"),
                                           pd.Timestamp("2017-10-25")]
    assert data.guidance["announced"].dtype.kind == "M"


def test_single_figure_guidance_is_only_in_the_raw_file(data):
    assert 2011 not in data.guidance["year"].tolist()
    guidance = raw("guidance.csv")
    assert guidance.loc[guidance["year"] == "2011", "point_oz"].tolist() == ["45000"]


def test_every_period_parses(data):
    periods = data.periods
    assert len(periods) == len(raw("periods.csv"))
    spans = {p: (str(s), str(e)) for p, s, e in
             zip(periods["period"], periods["start"], periods["end"], strict=True)}
    assert spans["2010Q4"] == ("2010-10", "2010-12")
    assert spans["2015H1"] == ("2015-01", "2015-06")
    assert spans["2016"] == ("2016-01", "2016-12")
    assert spans["2017-09..2017-11"] == ("2017-09", "2017-11")
    assert (periods["start"] <= periods["end"]).all()
    q4 = periods.query("period == '2016Q4' and metric == 'gold_produced'")["value"]
    assert sorted(q4) == [20015, 21014]


def test_events_are_raw_text(data):
    assert list(data.events.columns) == ["start", "end", "kind", "description", "source_url"]
    assert "capacity_change" in set(data.events["kind"])


def test_unknown_file_is_refused():
    with pytest.raises(UsageError):
        dynacor_path("secret.csv")
