"""The M3 benchmark's data loading and scoring, checked against the data's own README."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH))

import m3_holdout_compare as compare  # noqa: E402
import m3_monthly as m3  # noqa: E402


def reference_scores() -> dict[str, tuple[float, float]]:
    """The README's table of reference sMAPE and MASE by published method."""
    text = (m3.DATA / "README.md").read_text()
    rows = re.findall(r"^\| ([^|]+?) \| (\d+\.\d+) \| (\d+\.\d+) \|$", text, flags=re.M)
    return {name: (float(a), float(b)) for name, a, b in rows}


def test_published_forecasts_score_the_readme_reference_values():
    _, actual, scale = m3.load("test")
    assert len(actual) == 714
    published = m3.published(actual)
    ref = reference_scores()
    checked = [m for m in m3.PUBLISHED if m in ref]
    assert len(checked) >= 2
    for method in checked:
        sm, ms = m3.score(published[method], actual, scale)
        assert (round(sm, 3), round(ms, 3)) == ref[method], method


def test_an_earlier_origin_never_shows_the_scored_months():
    raw = pd.read_csv(m3.DATA / "series.csv.gz")
    frame, actual, _ = m3.load_origin(54, min_scored=48, min_kept=24)
    lengths = frame.groupby("series_id").size()
    assert lengths.min() >= 24
    assert set(actual) == set(lengths[lengths >= 48].index.astype(str))
    for sid in list(actual)[:20]:
        y = raw.loc[raw["series_id"] == sid, "value"].to_numpy(dtype=float)
        seen = frame.loc[frame["series_id"] == sid, "value"].to_numpy()
        np.testing.assert_array_equal(seen, y[:-54])
        np.testing.assert_array_equal(actual[sid], y[-54:-36])


def test_compose_weights_the_pooled_forecast_and_keeps_members_without_one():
    members = {"a": {"s1": np.full(3, 10.0), "s2": np.full(3, 4.0)},
               "b": {"s1": np.full(3, 20.0), "s2": np.full(3, 8.0)}}
    out = compare.compose(members, ("a", "b"), {"s1": np.full(3, 45.0)}, ["s1", "s2"])
    w = compare.POOLED_WEIGHT
    np.testing.assert_allclose(out["s1"], (1 - w) * 15.0 + w * 45.0)
    np.testing.assert_allclose(out["s2"], 6.0)


@pytest.mark.parametrize(("shift", "expected"), [(-1.0, 1.0), (1.0, 0.0)])
def test_share_better_counts_resamples_with_a_lower_mean(shift, expected):
    diff = np.random.default_rng(0).normal(shift, 0.1, 200)
    assert compare.share_better(diff, 500, seed=1) == expected
