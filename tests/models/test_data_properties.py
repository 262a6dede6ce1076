"""Property tests: whatever a file holds, loading gives a valid frame or DataValidationError."""

from __future__ import annotations

import datetime as dt
import io
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models.core.columns import NUMERIC_COLUMNS
from models.core.errors import DataValidationError
from models.data.datasets import dynacor_bytes
from models.data.schema import UNIT_ERROR_LIMIT
from models.data.tables import load_guidance, load_periods, load_production

TODAY = dt.date(2024, 6, 15)
PROPERTY = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
# examples that write Parquet or fail many checks cost more: fewer keep each test short
HEAVY = settings(PROPERTY, max_examples=100)
VALID = dynacor_bytes("monthly.csv").decode("utf-8")

# cells that tend to break parsers: formats, separators, literals, quotes, huge numbers
TRICKY = ["", " ", "2017-01", "2017-13", "2017-02-30", "01/2017", "6,895", '"6,895"', "NaN",
          "inf", "-inf", "1e400", "-0", "0", "-5", "1e6", "1000001", "nan", "\"", "\"\"",
          ";", "\t", "\x00", "\ufeff", "month", "gold_oz", "2017Q1", "１２", "1_000", "0x10",
          ",", "\n", "\r", "1.5.2", "+7", ".5", "5.", "e5", "٣"]
cells = st.one_of(st.sampled_from(TRICKY), st.text(max_size=8),
                  st.floats(allow_nan=True).map(repr))


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("props")


def check_loads(path, loader=load_production):
    """Load ``path``; a returned production frame must meet the contract."""
    try:
        frame = loader(path, today=TODAY) if loader is load_production else loader(path)
    except DataValidationError as err:
        assert err.problems
        assert all(p.startswith(f"{path}:") and "\n" not in p for p in err.problems)
        return None
    if loader is load_production:
        index = frame.index
        assert isinstance(index, pd.PeriodIndex) and index.freqstr == "M"
        assert index.is_unique and index.is_monotonic_increasing
        assert len(index) == (index[-1] - index[0]).n + 1
        assert index[-1] <= pd.Period(TODAY, freq="M")
        for name in NUMERIC_COLUMNS:
            if name in frame.columns:
                values = frame[name].to_numpy()
                assert frame[name].dtype == np.float64
                known = values[~np.isnan(values)]
                assert np.all(np.isfinite(known)) and np.all(known >= 0)
        for name in ("gold_oz", "ore_purchased_t", "ore_processed_t"):
            if name in frame.columns:
                assert not np.any(frame[name].to_numpy() > UNIT_ERROR_LIMIT)
    return frame


def file_in(folder, suffix, data: bytes):
    path = folder / f"{uuid.uuid4().hex}{suffix}"
    path.write_bytes(data)
    return path


@PROPERTY
@given(text=st.text(max_size=300))
def test_random_text_never_raises_anything_else(folder, text):
    check_loads(file_in(folder, ".csv", text.encode("utf-8")))


@PROPERTY
@given(data=st.binary(max_size=300), suffix=st.sampled_from([".csv", ".parquet"]))
def test_random_bytes_never_raise_anything_else(folder, data, suffix):
    check_loads(file_in(folder, suffix, data))


@HEAVY
@given(rows=st.lists(st.lists(cells, min_size=1, max_size=4), max_size=6),
       header=st.sampled_from(["month,gold_oz", "month,gold_oz,recovery_pct,capacity_tpd",
                               "month,gold_oz,ore_processed_t,note"]))
def test_rows_of_tricky_cells(folder, rows, header):
    text = header + "\n" + "\n".join(",".join(row) for row in rows)
    check_loads(file_in(folder, ".csv", text.encode("utf-8")))


@HEAVY
@given(data=st.data())
def test_mutations_of_the_valid_file(folder, data):
    lines = VALID.splitlines()
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(lines) - 1))
        kind = data.draw(st.sampled_from(["cell", "delete", "duplicate", "swap", "chars"]))
        if kind == "cell":
            fields = lines[at].split(",")
            fields[data.draw(st.integers(0, len(fields) - 1))] = data.draw(cells)
            lines[at] = ",".join(fields)
        elif kind == "delete" and len(lines) > 1:
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap":
            other = data.draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
        else:
            cut = data.draw(st.integers(0, len(lines[at])))
            lines[at] = lines[at][:cut] + data.draw(st.text(max_size=3)) + lines[at][cut:]
    check_loads(file_in(folder, ".csv", "\n".join(lines).encode("utf-8")))


@PROPERTY
@given(values=st.lists(st.one_of(st.none(), st.floats(0, UNIT_ERROR_LIMIT)), min_size=1,
                       max_size=30).filter(lambda v: any(x is not None for x in v)),
       # the last of up to 30 months must not pass TODAY (2024-06): future months are invalid
       start=st.integers(1990 * 12, 2022 * 12))
def test_valid_series_round_trip_exactly(folder, values, start):
    months = pd.period_range(pd.Period(year=start // 12, month=start % 12 + 1, freq="M"),
                             periods=len(values), freq="M")
    body = "".join(f"{m},{'' if v is None else repr(v)}\n" for m, v in zip(months, values,
                                                                         strict=True))
    frame = check_loads(file_in(folder, ".csv", ("month,gold_oz\n" + body).encode()))
    assert frame is not None
    expected = np.array([np.nan if v is None else v for v in values])
    np.testing.assert_array_equal(frame["gold_oz"].to_numpy(), expected)
    assert frame.index.equals(months)


guidance_cells = st.one_of(cells, st.sampled_from(["2017", "2017-10", "2017-01-12", "88000"]))
period_cells = st.one_of(cells, st.sampled_from(["2017Q1", "2017H2", "2017-01..2017-09",
                                                 "2017-09..2017-01", "gold_produced", "oz"]))


@HEAVY
@given(rows=st.lists(st.lists(guidance_cells, min_size=4, max_size=5), max_size=5))
def test_guidance_never_raises_anything_else(folder, rows):
    body = "\n".join(",".join(row) for row in rows)
    check_loads(file_in(folder, ".csv", ("year,low_oz,high_oz,announced\n" + body).encode()),
                load_guidance)


@HEAVY
@given(rows=st.lists(st.lists(period_cells, min_size=4, max_size=5), max_size=5))
def test_periods_never_raise_anything_else(folder, rows):
    body = "\n".join(",".join(row) for row in rows)
    check_loads(file_in(folder, ".csv", ("period,metric,value,unit\n" + body).encode()),
                load_periods)


@HEAVY
@given(values=st.lists(st.one_of(st.none(), st.floats(allow_nan=True),
                                 st.integers(-10, 10**7)), min_size=1, max_size=6),
       months=st.sampled_from(["text", "timestamp", "period"]))
def test_random_parquet_frames(folder, values, months):
    stamps = pd.period_range("2017-01", periods=len(values), freq="M")
    month = {"text": stamps.astype(str), "timestamp": stamps.to_timestamp(),
             "period": stamps}[months]
    frame = pd.DataFrame({"month": month, "gold_oz": pd.Series(values, dtype=object)})
    frame["gold_oz"] = frame["gold_oz"].astype("float64")
    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    check_loads(file_in(folder, ".parquet", buffer.getvalue()))
