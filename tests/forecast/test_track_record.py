"""The track record: a soak over 24 consecutive as-of months of the embedded data, whose
final track_record.csv must match a recomputation from the publications' own files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.cli import main
from models.data.datasets import dynacor_path
from tests.forecast.test_publish import registered_store

AS_OFS = [str(p) for p in pd.period_range("2016-01", "2017-12", freq="M")]


@pytest.fixture(scope="module")
def soak(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    """ROOT after publishing every as-of month of 2016-2017 in order; exit code by as-of."""
    store = registered_store(tmp_path_factory)
    root = tmp_path_factory.mktemp("soak") / "root"
    codes = {a: main(["-q", "publish", "--tracking-uri", store, "--out", str(root),
                      "--as-of", a, "--n-paths", "200", "--alert-below", "0"])
             for a in AS_OFS}
    return root, codes


def _actual_totals() -> dict[int, float]:
    """Each year's total as a reader of the embedded files would take it: the sum of twelve
    monthly figures, else the latest release of the year's own total."""
    monthly = pd.read_csv(dynacor_path("monthly.csv"), dtype={"month": str})
    monthly["year"] = monthly["month"].str[:4].astype(int)
    out = {int(y): float(g["gold_oz"].sum()) for y, g in monthly.groupby("year")
           if g["gold_oz"].notna().sum() == 12}
    periods = pd.read_csv(dynacor_path("periods.csv"), dtype={"period": str})
    years = periods.loc[(periods["metric"] == "gold_produced")
                        & periods["period"].str.fullmatch(r"\d{4}")].sort_values("release_date")
    for period, rows in years.groupby("period"):
        out.setdefault(int(period), float(rows["value"].iloc[-1]))
    return out


def test_every_month_is_published_or_refused_in_one_line(soak):
    _, codes = soak
    assert set(codes.values()) <= {0, 2}, codes
    published = [a for a, c in codes.items() if c == 0]
    assert len(published) >= 20, codes  # months whose year-to-date no figure gives: refused


def test_the_final_track_record_matches_a_recomputation_from_the_publications(soak):
    root, codes = soak
    track = pd.read_csv(root / "latest" / "track_record.csv", dtype={"as_of": str,
                                                                      "next_month": str})
    folders = sorted((p for p in root.glob("*/*") if (p / "manifest.json").is_file()),
                     key=lambda p: p.name)
    assert list(track["as_of"]) == [p.name for p in folders]
    assert list(track["as_of"]) == [a for a, c in codes.items() if c == 0]
    totals = _actual_totals()
    months = pd.read_csv(dynacor_path("monthly.csv"), dtype={"month": str}).set_index("month")
    for folder, row in zip(folders, track.itertuples(), strict=True):
        annual = json.loads((folder / "annual.json").read_text())
        assert (row.year, row.p10, row.p50, row.p90) == (
            annual["year"], annual["p10"], annual["p50"], annual["p90"])
        truth = totals.get(annual["year"])
        if truth is None:
            assert np.isnan(row.actual)
        else:
            assert row.actual == truth
            assert row.ape_pct == round(abs(annual["p50"] - truth) / truth * 100, 2)
            assert row.inside80 == float(annual["p10"] <= truth <= annual["p90"])
        first = pd.read_csv(folder / "monthly.csv", dtype={"month": str})
        first = first.loc[first["kind"] == "forecast"].iloc[0]
        assert (row.next_month, row.month_p50) == (first["month"], first["p50"])
        value = months["gold_oz"].get(first["month"])
        if value is None or np.isnan(value):
            assert np.isnan(row.month_actual)
        else:
            assert row.month_inside80 == float(first["p10"] <= value <= first["p90"])
    assert set(track.dropna(subset=["actual"])["year"]) == {2016, 2017}


def test_the_report_states_the_record_over_both_complete_years(soak):
    root, _ = soak
    report = (root / "latest" / "report.html").read_text()
    assert 'id="track-record"' in report
    assert "Over 2 complete years on disk (2016, 2017)" in report


def test_republishing_gives_the_same_bytes(soak, tmp_path_factory):
    root, _ = soak
    store = registered_store(tmp_path_factory)
    before = (root / "2017" / "2017-06" / "track_record.csv").read_bytes()
    assert main(["-q", "publish", "--tracking-uri", store, "--out", str(root), "--as-of",
                 "2017-06", "--n-paths", "200", "--alert-below", "0"]) == 0
    assert (root / "2017" / "2017-06" / "track_record.csv").read_bytes() == before
