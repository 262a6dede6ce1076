"""Property test over the command line's options (hypothesis): whatever values are given,
never a traceback, never a non-finite number in an output, never an output on a refusal."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forecast.cli import main

NUMBERS = st.one_of(
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["", "nan", "inf", "-inf", "1e309", "1,000", "0x10", " 5", "٣"]),
)
MONTHS = st.one_of(
    st.builds(lambda y, m: f"{y:04d}-{m:02d}", st.integers(0, 9999), st.integers(0, 13)),
    st.sampled_from(["2017-06", "2016-12", "2017-Q3", "2017-7", "2017-06-30", "", "june"]),
)


def _flags(options: dict[str, str]) -> list[str]:
    """``{"--seed": "3"}`` -> ``["--seed", "3"]``."""
    return [x for k, v in options.items() for x in (k, v)]


def _cli_settings(examples: int):
    """Hypothesis settings of a CLI property test: reproducible, no deadline (a run forecasts
    or trains)."""
    return settings(max_examples=examples, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])


def _options() -> st.SearchStrategy[list[str]]:
    return st.fixed_dictionaries({
        "--as-of": MONTHS,
        "--model": st.sampled_from(["naive", "drift", "ses", "seasonal_naive", "nope", ""]),
    }, optional={
        "--year": NUMBERS,
        "--n-paths": st.one_of(st.integers(-5, 400).map(str), NUMBERS),
        "--seed": NUMBERS,
        "--guidance-range": st.builds(lambda a, b: f"{a}:{b}", NUMBERS, NUMBERS),
        "--scenario": st.builds(lambda c, v: f"{c}={v}",
                                st.sampled_from(["ore_purchased_t", "capacity_tpd", "gold",
                                                 "month"]), NUMBERS),
    }).map(_flags)


def _all_finite(out: Path) -> bool:
    def check(value: object) -> bool:
        if isinstance(value, float):
            return math.isfinite(value)
        if isinstance(value, dict):
            return all(check(v) for v in value.values())
        return True

    annual = json.loads((out / "annual.json").read_text())  # strict JSON: no NaN/Infinity
    frames = [pd.read_csv(out / name) for name in ("monthly.csv", "quarterly.csv")]
    return check(annual) and all(f.select_dtypes("number").map(math.isfinite).all().all()
                                 for f in frames)


@_cli_settings(60)
@given(options=_options())
def test_any_option_values_end_in_an_output_or_one_line(options: list[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        code = main(["forecast", *options, "--out", str(out)])
        assert code in (0, 2), (options, code)  # 1 would be a traceback: a bug
        if code == 0:
            assert sorted(p.name for p in out.iterdir()) == [
                "annual.json", "fan_chart.png", "monthly.csv", "quarterly.csv"]
            assert _all_finite(out), options
        else:
            assert not out.exists(), options
            assert [p.name for p in Path(tmp).iterdir()] == []


# -- bulk: every numeric option, generated ---------------------------------------------------


@pytest.fixture(scope="module")
def bulk_input(tmp_path_factory) -> Path:
    """Six simulated plants of 36 months, long format (series_id, timestamp, value oz)."""
    from models.simulator.plant import simulate_portfolio

    frame = simulate_portfolio(6, 36, seed=11)
    path = tmp_path_factory.mktemp("bulk") / "series.csv"
    frame.to_csv(path, index=False)
    return path


def _mostly(valid: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """A value of ``valid`` two times in three, else anything NUMBERS generates."""
    return st.one_of(valid.map(str), valid.map(str), NUMBERS)


def _bulk_options() -> st.SearchStrategy[list[str]]:
    return st.fixed_dictionaries({
        "--model": st.sampled_from(["naive", "ses", "theta_ses", "seasonal_naive", "nope"]),
        "--horizon": _mostly(st.integers(-3, 40)),
    }, optional={
        "--season-length": _mostly(st.integers(-2, 30)),
        "--n-paths": _mostly(st.integers(-5, 400)),
        "--seed": _mostly(st.integers(0, 2**32)),
        "--chunk-size": _mostly(st.integers(-2, 10)),
        "--workers": st.sampled_from(["0", "-1", "1", "1", "1.5", ""]),
    }).map(_flags)


@_cli_settings(40)
@given(options=_bulk_options())
def test_bulk_option_values_end_in_an_output_or_one_line(options: list[str],
                                                         bulk_input: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "forecasts.csv"
        code = main(["bulk", "--input", str(bulk_input), "--output", str(out),
                     "--no-progress", "--backend", "serial", *options])
        assert code in (0, 2, 4), (options, code)
        if code == 2:
            assert [p.name for p in Path(tmp).iterdir()] == [], options
            return
        frame = pd.read_csv(out)
        assert frame["series_id"].nunique() == 6, options
        assert frame.select_dtypes("number").map(math.isfinite).all().all(), options


# -- publish: against a real champion in a temporary store ------------------------------------


@pytest.fixture(scope="module")
def champion_store(tmp_path_factory) -> str:
    """A sqlite MLflow store holding a champion trained on the embedded data (naive, drift)."""
    from training.train import TrainConfig, train

    uri = f"sqlite:///{tmp_path_factory.mktemp('store') / 'mlflow.db'}"
    train(models=["naive", "drift"], years=[2017], tracking=uri,
          config=TrainConfig(n_paths=50, figures=False))
    return uri


def _publish_options() -> st.SearchStrategy[list[str]]:
    return st.fixed_dictionaries({}, optional={
        "--as-of": MONTHS,
        "--n-paths": _mostly(st.integers(-5, 400)),
        "--seed": _mostly(st.integers(0, 2**32)),
        "--max-staleness-days": _mostly(st.integers(-5, 10**6)),
        "--today": st.sampled_from(["2018-01-20", "2017-07-10", "2017-13-01", "", "yesterday"]),
    }).map(_flags)


@_cli_settings(30)
@given(options=_publish_options())
def test_publish_option_values_end_in_a_publication_or_one_line(options: list[str],
                                                                champion_store: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "pub"
        code = main(["publish", "--tracking-uri", champion_store, "--out", str(root),
                     *options])
        assert code in (0, 2), (options, code)
        if code == 2:
            written = [p for p in root.rglob("*") if p.name != ".lock"] if root.exists() else []
            assert written == [], (options, written)
            return
        assert _all_finite(root / "latest"), options
