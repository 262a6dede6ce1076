import os
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from forecast.bulk import BulkConfig, run_bulk, write_result
from forecast.bulk.series import history_frame, series_seed
from forecast.cli import main
from models.core.errors import DataValidationError
from models.data.many_series import _parse_months, read_series

FAST = {"members": ("theta_ses", "damped", "ses")}


def long_frame(n_series=5, months=40, seed=0, start="2015-01"):
    rng = np.random.default_rng(seed)
    idx = pd.period_range(start, periods=months, freq="M")
    rows = []
    for i in range(n_series):
        t = np.arange(months)
        y = (200 + 50 * i + 2 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12))
        y = y * np.exp(0.05 * rng.standard_normal(months))
        rows.append(pd.DataFrame({"series_id": f"s{i}", "timestamp": idx.strftime("%Y-%m"),
                                  "value": y}))
    return pd.concat(rows, ignore_index=True)


def write_csv(df, path):
    df.to_csv(path, index=False)
    return path


def test_series_seed_is_stable_across_processes():
    here = series_seed(3, "plant-7")
    code = "from forecast.bulk.series import series_seed; print(series_seed(3, 'plant-7'))"
    env = dict(os.environ, PYTHONHASHSEED="12345")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.strip()
    assert int(other) == here
    assert series_seed(3, "plant-8") != here and series_seed(4, "plant-7") != here


@given(st.integers(1900, 2200), st.integers(1, 12))
def test_months_parse_from_text_and_dates(year, month):
    raw = pd.Series([f"{year:04d}-{month:02d}", f"{year:04d}-{month:02d}-01", "x", ""])
    out = _parse_months(raw)
    assert out.iloc[0] == pd.Period(f"{year}-{month:02d}", freq="M")
    assert out.iloc[1] == out.iloc[0]
    assert out.iloc[2:].isna().all()


def test_month_out_of_range_is_not_a_month():
    out = _parse_months(pd.Series(["2020-13", "2020-02-30", "2020-02-29"]))
    assert out.isna().tolist() == [True, True, False]


def test_history_frame_trims_empty_ends_and_fills_gaps():
    rows = pd.DataFrame({"series_id": "a",
                         "month": pd.PeriodIndex(["2020-01", "2020-02", "2020-04", "2020-05"],
                                                 freq="M"),
                         "value": [np.nan, 1.0, 3.0, np.nan]})
    h = history_frame(rows, [])
    assert list(h.index.strftime("%Y-%m")) == ["2020-02", "2020-03", "2020-04"]
    assert np.isnan(h["gold_oz"].iloc[1])


def test_output_rows_follow_the_contract(tmp_path):
    df = long_frame(3)
    frame, exog = read_series(write_csv(df, tmp_path / "in.csv"))
    res = run_bulk(frame, exog, BulkConfig(horizon=6, n_paths=200, model_params=FAST))
    f = res.forecasts
    assert list(f.columns) == ["series_id", "horizon", "timestamp", "forecast", "p10", "p50",
                               "p90"]
    assert f["series_id"].unique().tolist() == ["s0", "s1", "s2"]
    assert f.groupby("series_id")["horizon"].apply(list).map(lambda h: h == [1, 2, 3, 4, 5, 6]
                                                             ).all()
    assert f["timestamp"].iloc[0] == "2018-05"  # 40 months from 2015-01 end in 2018-04
    assert (f["p10"] <= f["p50"]).all() and (f["p50"] <= f["p90"]).all()
    assert (f[["forecast", "p10"]] >= 0).all().all() and res.failures.empty


@pytest.mark.slow
def test_same_seed_same_output_on_every_backend(tmp_path):
    from distributed import LocalCluster

    df = long_frame(6, months=36)
    # One series too short for the members: the fallback path must be deterministic too.
    df = pd.concat([df, pd.DataFrame({"series_id": "short", "timestamp": ["2019-01", "2019-02"],
                                      "value": [5.0, 6.0]})], ignore_index=True)
    frame, exog = read_series(write_csv(df, tmp_path / "in.csv"))
    # The pooled model engaged (6 long series): fitted once, the same on every backend.
    config = BulkConfig(horizon=4, n_paths=50, seed=42, model_params=FAST, pooled_min_series=6)
    serial = run_bulk(frame, exog, config, backend="serial")
    alone = run_bulk(frame, exog, BulkConfig(horizon=4, n_paths=50, seed=42, model_params=FAST,
                                             pooled=False))
    assert not np.array_equal(alone.forecasts["forecast"], serial.forecasts["forecast"])
    procs = run_bulk(frame, exog, config, backend="processes", workers=2, chunk_size=2)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    try:
        on_dask = run_bulk(frame, exog, config, backend="dask", scheduler=cluster.scheduler_address,
                           chunk_size=3)
    finally:
        cluster.close()
    pd.testing.assert_frame_equal(serial.forecasts, procs.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(serial.forecasts, on_dask.forecasts, check_exact=True)
    pd.testing.assert_frame_equal(serial.failures, on_dask.failures)
    assert serial.failures["series_id"].tolist() == ["short"]
    other = run_bulk(frame, exog, BulkConfig(horizon=4, n_paths=50, seed=43,
                                             model_params=FAST))
    assert not np.array_equal(other.forecasts["p90"], serial.forecasts["p90"])


def test_pooled_model_moves_auto_only_when_enough_series_and_only_auto(tmp_path):
    frame, exog = read_series(write_csv(long_frame(8, months=40), tmp_path / "in.csv"))

    def forecasts(**kw):
        return run_bulk(frame, exog, BulkConfig(horizon=6, n_paths=100, model_params=FAST,
                                                **kw)).forecasts

    alone = forecasts(pooled=False)
    pooled = forecasts(pooled_min_series=8)
    # Every series is described, so every point moves; the members' paths move with it.
    moved = (pooled["forecast"] - alone["forecast"]).abs().groupby(pooled["series_id"]).max()
    assert (moved > 0).all() and len(moved) == 8
    shift = pooled["forecast"] - alone["forecast"]
    np.testing.assert_allclose(pooled["p50"] - alone["p50"], shift, rtol=1e-9, atol=1e-6)
    # Too few series: the pooled model declines and auto is the members' mean.
    pd.testing.assert_frame_equal(forecasts(pooled_min_series=9), alone)
    # A single model never uses it.
    one = BulkConfig(horizon=6, n_paths=100, model="theta_ses", pooled_min_series=8)
    pd.testing.assert_frame_equal(run_bulk(frame, exog, one).forecasts,
                                  run_bulk(frame, exog, BulkConfig(
                                      horizon=6, n_paths=100, model="theta_ses",
                                      pooled=False)).forecasts)


def test_gzip_csv_and_parquet_read_the_same(tmp_path):
    df = long_frame(2, months=30)
    df.to_csv(tmp_path / "in.csv.gz", index=False)
    df.to_parquet(tmp_path / "in.parquet", index=False)
    a, _ = read_series(tmp_path / "in.csv.gz")
    b, _ = read_series(tmp_path / "in.parquet")
    pd.testing.assert_frame_equal(a, b)


def test_exogenous_numbers_pass_through_and_text_columns_are_ignored(tmp_path):
    df = long_frame(2, months=30)
    df["ore_processed_t"] = 1000.0
    df["category"] = "MICRO"
    frame, exog = read_series(write_csv(df, tmp_path / "in.csv"))
    assert exog == ["ore_processed_t"]
    h = history_frame(frame[frame["series_id"] == "s0"], exog)
    assert list(h.columns) == ["gold_oz", "ore_processed_t"]


def test_bad_cells_are_reported_by_file_row_and_field(tmp_path):
    df = long_frame(1, months=5).astype({"value": object})
    df.loc[1, "value"] = "12,5"
    df.loc[3, "timestamp"] = "March"
    df.loc[4, "value"] = -1.0
    path = write_csv(df, tmp_path / "bad.csv")
    with pytest.raises(DataValidationError) as err:
        read_series(path)
    probs = err.value.problems
    # Header on line 1: data row i is line i + 2.
    assert probs[0].startswith(f"{path}:3: value: expected a number")
    assert probs[1].startswith(f"{path}:5: timestamp: expected a month")
    assert probs[2].startswith(f"{path}:6: value: expected a number >= 0")


def test_duplicate_months_and_missing_columns_are_refused(tmp_path):
    df = long_frame(1, months=4)
    dup = pd.concat([df, df.iloc[[2]]], ignore_index=True)
    with pytest.raises(DataValidationError, match=r":6: timestamp: expected each month once"):
        read_series(write_csv(dup, tmp_path / "dup.csv"))
    with pytest.raises(DataValidationError, match=r":1: value: expected a column"):
        read_series(write_csv(df.drop(columns="value"), tmp_path / "nov.csv"))


def test_cli_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text("series_id,timestamp,value\na,2020-01,1\na,2020-02,abc\n")
    code = main(["bulk", "--input", str(path), "--horizon", "3", "--output",
                 str(tmp_path / "out.csv"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {path}:3: value: expected a number" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out.csv").exists()


def test_cli_unknown_model_exits_2(tmp_path, capsys):
    path = write_csv(long_frame(1, months=20), tmp_path / "in.csv")
    code = main(["bulk", "--input", str(path), "--horizon", "3", "--output",
                 str(tmp_path / "o.csv"), "--model", "crystal_ball", "--no-progress"])
    assert code == 2 and "unknown model" in capsys.readouterr().err


def test_cli_bad_series_falls_back_exit_4_and_failures_csv(tmp_path):
    df = long_frame(2, months=30)
    # Two observed months: too few for Theta/damped/SES, enough for the naive fallback.
    bad = pd.DataFrame({"series_id": "tiny", "timestamp": ["2017-05", "2017-06"],
                        "value": [10.0, 12.0]})
    path = write_csv(pd.concat([df, bad], ignore_index=True), tmp_path / "in.csv")
    out = tmp_path / "fc.csv"
    code = main(["bulk", "--input", str(path), "--horizon", "5", "--output", str(out),
                 "--model", "theta", "--n-paths", "100", "--no-progress"])
    assert code == 4
    fc = pd.read_csv(out)
    assert sorted(fc["series_id"].unique()) == ["s0", "s1", "tiny"] and len(fc) == 15
    fails = pd.read_csv(tmp_path / "fc.csv.failures.csv")
    assert fails["series_id"].tolist() == ["tiny"]
    assert fails["fallback"].tolist() == ["naive"]
    assert "12" in fails["reason"].iloc[0]  # theta's reason: needs 12 observed months
    np.testing.assert_allclose(fc.loc[fc["series_id"] == "tiny", "forecast"], 12.0)
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]


def test_cli_all_fine_exits_0_and_clears_stale_failures(tmp_path):
    path = write_csv(long_frame(2, months=30), tmp_path / "in.csv")
    (tmp_path / "fc.csv.gz.failures.csv").write_text("series_id,model,fallback,reason\nold,x,y,z\n")
    code = main(["bulk", "--input", str(path), "--horizon", "2", "--output",
                 str(tmp_path / "fc.csv.gz"), "--model", "seasonal_naive", "--n-paths", "50",
                 "--no-progress"])
    assert code == 0
    assert pd.read_csv(tmp_path / "fc.csv.gz.failures.csv").empty
    assert len(pd.read_csv(tmp_path / "fc.csv.gz")) == 4


def test_write_result_refuses_an_unknown_extension(tmp_path):
    from models.core.errors import UsageError

    frame, exog = read_series(write_csv(long_frame(1, months=20), tmp_path / "in.csv"))
    res = run_bulk(frame, exog, BulkConfig(horizon=2, n_paths=20, model="seasonal_naive"))
    with pytest.raises(UsageError, match="^output: expected a .csv") as err:
        write_result(res, tmp_path / "out.xlsx")
    assert err.value.option == "output"


def test_temporary_files_of_an_interrupted_run_are_removed(tmp_path):
    from forecast.bulk import BulkResult, write_result

    out = tmp_path / "forecasts.csv"
    stale = tmp_path / ".forecasts.csv.abc123.tmp"
    stale.write_text("half a file")
    other = tmp_path / ".unrelated.csv.x.tmp"
    other.write_text("not ours")
    result = BulkResult(forecasts=pd.DataFrame({"series_id": ["a"], "horizon": [1]}),
                        failures=pd.DataFrame(columns=["series_id", "model", "fallback",
                                                       "reason"]))
    write_result(result, out)
    assert not stale.exists() and other.exists()
    assert out.exists() and (tmp_path / "forecasts.csv.failures.csv").exists()
