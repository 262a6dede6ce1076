"""Property test over the command line's options (hypothesis): whatever values are given,
never a traceback, never a non-finite number in an output, never an output on a refusal."""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path

import pandas as pd
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
    }).map(lambda d: [x for k, v in d.items() for x in (k, v)])


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


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
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
