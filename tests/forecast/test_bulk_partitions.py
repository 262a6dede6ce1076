"""Inputs of several files for ``orecast bulk``, and the pooled model's windows sampled by
the tasks: the same forecasts whatever the files, one clear line for a bad file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.bulk.partitions import disjoint, input_files, parquet_ranges
from forecast.cli import main
from models.simulator.plant import simulate_portfolio
from models.zoo.pooled import PooledWindows, WindowSample

ARGS = ("--horizon", "6", "--model", "theta_ses", "--n-paths", "50", "--no-progress")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return simulate_portfolio(12, 48, seed=11)[["series_id", "timestamp", "value"]]


def _read(out: Path) -> pd.DataFrame:
    table = pd.read_parquet(out / "forecasts") if out.is_dir() else pd.read_csv(out)
    return table.sort_values(["series_id", "horizon"]).reset_index(drop=True)


def test_one_file_a_grouped_folder_and_a_split_glob_give_the_same_forecasts(frame, tmp_path,
                                                                            caplog):
    one = tmp_path / "one.csv"
    frame.to_csv(one, index=False)
    grouped = tmp_path / "grouped"
    for k, ids in enumerate(np.array_split(frame["series_id"].unique(), 3)):
        (grouped / f"region={k}").mkdir(parents=True)
        frame[frame["series_id"].isin(ids)].to_parquet(
            grouped / f"region={k}" / "part.parquet", index=False)
    (grouped / "_SUCCESS").write_text("")  # a marker file some writers leave: skipped
    split = tmp_path / "split"
    split.mkdir()
    for k in range(3):
        frame.iloc[k::3].to_csv(split / f"rows-{k}.csv", index=False)
    assert main(["bulk", "--input", str(one), "--output", str(tmp_path / "a.csv"), *ARGS]) == 0
    caplog.set_level("INFO", logger="forecast.bulk")
    assert main(["bulk", "--input", str(grouped), "--output", f"{tmp_path / 'b'}/",
                 *ARGS]) == 0
    assert "every series in one file: one task per file" in caplog.text
    assert main(["bulk", "--input", str(split / "rows-*.csv"), "--output",
                 f"{tmp_path / 'c'}/", *ARGS]) == 0
    assert "repartitioned by a hash of series_id into 3 buckets" in caplog.text
    a = _read(tmp_path / "a.csv")
    for other in ("b", "c"):
        pd.testing.assert_frame_equal(_read(tmp_path / other), a, check_exact=False,
                                      rtol=1e-12)
    assert not list(tmp_path.glob(".orecast-shuffle-*"))


def test_a_bad_cell_in_one_file_is_one_line_naming_that_file(frame, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    frame.iloc[:200].to_csv(data / "a.csv", index=False)
    bad = frame.iloc[200:].astype({"value": object})
    bad.iloc[5, bad.columns.get_loc("value")] = "lots"
    bad.to_csv(data / "b.csv", index=False)
    assert main(["bulk", "--input", str(data / "*.csv"), "--output",
                 f"{tmp_path / 'out'}/", *ARGS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"{data / 'b.csv'}:7: value: expected a number" in err[0]
    # Nothing at the output path (a staging folder beside it waits for a resume).
    assert not (tmp_path / "out").exists()


def test_the_same_month_of_a_series_in_two_files_is_refused(frame, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    frame.to_parquet(data / "a.parquet", index=False)
    frame.iloc[[3]].to_parquet(data / "b.parquet", index=False)
    assert main(["bulk", "--input", str(data), "--output", f"{tmp_path / 'out'}/",
                 *ARGS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    row = frame.iloc[3]
    assert len(err) == 1 and repr(row["series_id"]) in err[0] \
        and "found it in two input files" in err[0]
    assert not (tmp_path / "out").exists()


def test_nothing_to_read_is_one_line(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["bulk", "--input", str(tmp_path / "empty"), "--output",
                 str(tmp_path / "f.csv"), *ARGS]) == 2
    assert main(["bulk", "--input", str(tmp_path / "*.parquet"), "--output",
                 str(tmp_path / "f.csv"), *ARGS]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "expected a folder holding .parquet files" in err[0] \
        and "expected the pattern to match" in err[1]
    with pytest.raises(Exception, match="found none"):
        input_files(tmp_path / "empty")


def test_parquet_statistics_decide_whether_files_hold_separate_series(frame, tmp_path):
    ids = sorted(frame["series_id"].unique())
    frame[frame["series_id"].isin(ids[:6])].to_parquet(tmp_path / "a.parquet", index=False)
    frame[frame["series_id"].isin(ids[6:])].to_parquet(tmp_path / "b.parquet", index=False)
    frame.iloc[::2].to_parquet(tmp_path / "c.parquet", index=False)
    ranges = parquet_ranges([tmp_path / "a.parquet", tmp_path / "b.parquet"])
    assert ranges == [(ids[0], ids[5]), (ids[6], ids[11])] and disjoint(ranges)
    assert not disjoint(parquet_ranges([tmp_path / "a.parquet", tmp_path / "c.parquet"]))
    # Numbers as ids: no text statistics, so the workers' read decides.
    pd.DataFrame({"series_id": [1, 2], "timestamp": ["2020-01"] * 2, "value": [1.0, 2.0]}
                 ).to_parquet(tmp_path / "n.parquet", index=False)
    assert parquet_ranges([tmp_path / "n.parquet"]) is None


def test_pooled_windows_do_not_depend_on_how_the_series_are_split():
    rng = np.random.default_rng(3)
    panel = [100 + rng.normal(0, 5, n).cumsum() for n in rng.integers(40, 90, size=30)]
    keys = np.arange(30, dtype=np.uint64) * np.uint64(7919)
    model = PooledWindows(horizon=6, max_windows=300, min_series=5)
    whole = model.sample(keys, panel)
    merged = WindowSample.empty(model.input_months, model.horizon)
    for part in (slice(0, 7), slice(7, 8), slice(8, 30)):
        merged = merged.merge(model.sample(keys[part], panel[part]), model.max_windows)
    assert len(whole.priority) == 300

    def ordered(s: WindowSample):
        o = np.argsort(s.priority)
        return s.priority[o], s.key[o], np.nan_to_num(s.x[o]), s.valid[o]

    for a, b in zip(ordered(whole), ordered(merged), strict=True):
        np.testing.assert_array_equal(a, b)
    # The fitted models then forecast identically.
    fa = PooledWindows(horizon=6, max_windows=300, min_series=5, max_iter=20)
    fb = PooledWindows(horizon=6, max_windows=300, min_series=5, max_iter=20)
    pa = fa.fit_sample(whole).predict_panel(panel)
    pb = fb.fit_sample(merged).predict_panel(panel)
    np.testing.assert_array_equal(np.vstack(pa), np.vstack(pb))
