"""``orecast guidance`` and ``forecast.advice``: the advised range, its odds and the files."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecast.advice import advise, check_coverage, whole_oz
from forecast.cli import main
from forecast.numbers import oz, pct
from models.core.errors import UsageError

N_PATHS = 2000
FILES = ["guidance.json", "guidance.png"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A sqlite store holding ``orecast`` version 1 as champion, trained once per module on
    the embedded Dynacor data with two fast models (the equal mixture of them is served)."""
    import mlflow

    from training.tracking import tracking_uri
    from training.train import TrainConfig, train

    folder = tmp_path_factory.mktemp("guidance-store")
    uri = f"sqlite:///{folder}/mlflow.db"
    with tracking_uri(uri):
        mlflow.create_experiment("orecast", artifact_location=(folder / "artifacts").as_uri())
    result = train(None, models=["drift", "share_runrate"], tracking=uri,
                   config=TrainConfig(n_paths=100, figures=False, experiment="orecast"))
    assert result.version == "1" and result.alias == "champion"
    return uri


def guidance(store: str, out: Path, *args: str) -> int:
    # Options given in ``args`` come last, so they win over these defaults.
    return main(["guidance", "--n-paths", str(N_PATHS), "--tracking-uri", store,
                 "--out", str(out), *args])


def strict_json(path: Path) -> dict[str, Any]:
    """The file parsed as strict JSON: NaN, Infinity and -Infinity are refused."""

    def refuse(constant: str) -> None:
        raise ValueError(f"{path}: non-standard JSON constant {constant}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=refuse)


def numbers(value: Any) -> list[float]:
    """Every number in a parsed JSON document."""
    if isinstance(value, dict):
        return [x for v in value.values() for x in numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in numbers(v)]
    if isinstance(value, bool) or not isinstance(value, int | float):
        return []
    return [float(value)]


def served_paths(store: str, year: int, as_of: str, seed: int = 0) -> np.ndarray:
    """The annual totals recomputed outside the command: the registered version's procedure
    loaded by MLflow itself and run on the embedded data, shape (N_PATHS,), oz."""
    import mlflow

    from models.data.datasets import dynacor
    from training.serving import year_forecast
    from training.tracking import tracking_uri

    with tracking_uri(store):
        spec = mlflow.pyfunc.load_model("models:/orecast/1").unwrap_python_model().spec
    ds = dynacor()
    yf, _ = year_forecast(spec, ds.monthly, ds.periods, {"as_of": as_of, "year": year,
                                                          "n_paths": N_PATHS, "seed": seed})
    return yf.annual_paths


def test_guidance_writes_strict_finite_json_and_a_chart(store, tmp_path, capsys):
    out = tmp_path / "g"
    assert guidance(store, out, "--year", "2018", "--range", "78000:82000") == 0
    assert sorted(p.name for p in out.iterdir()) == FILES
    assert (out / "guidance.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    record = strict_json(out / "guidance.json")
    assert list(record) == ["year", "as_of", "metric", "coverage", "range", "prob_reach_low",
                            "proposed", "p50", "n_paths", "seed", "model", "data_sha256",
                            "orecast_version"]
    assert all(math.isfinite(x) for x in numbers(record))
    assert (record["year"], record["as_of"], record["coverage"]) == (2018, "2017-12", 0.8)
    assert (record["n_paths"], record["seed"]) == (N_PATHS, 0)
    model = record["model"]
    assert model["uri"] == "models:/orecast@champion"
    assert (model["name"], model["version"]) == ("orecast", "1")
    assert model["spec"].startswith("ensemble@") and len(model["run_id"]) == 32
    from models.data.datasets import dynacor
    from models.data.digest import data_sha256

    ds = dynacor()
    assert record["data_sha256"] == data_sha256(ds.monthly, ds.periods)
    low, high = record["range"]["low_oz"], record["range"]["high_oz"]
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"For 2018 (as of December 2017) an 80% range is {oz(low)}-{oz(high)} oz; the chance "
        f"of reaching {oz(low)} oz is 90%; for the proposed 78,000-82,000 oz the chance of "
        f"landing within it is {pct(record['proposed']['prob_within'])}, below it "
        f"{pct(1 - record['proposed']['prob_reach_low'])}, above it "
        f"{pct(record['proposed']['prob_above_high'])}.",
        f"written: {out.resolve()}"]


@pytest.mark.parametrize("coverage", [0.8, 0.5])
def test_range_is_the_central_interval_of_the_served_paths(store, tmp_path, coverage):
    out = tmp_path / "g"
    assert guidance(store, out, "--year", "2017", "--as-of", "2017-03",
                    "--coverage", str(coverage)) == 0
    record = strict_json(out / "guidance.json")
    paths = served_paths(store, 2017, "2017-03")
    q_low, q_mid, q_high = np.quantile(paths, [(1 - coverage) / 2, 0.5, (1 + coverage) / 2])
    # Whole ounces, half up, after the 0.1 oz the files publish: within 0.55 oz.
    assert abs(record["range"]["low_oz"] - q_low) <= 0.55
    assert abs(record["range"]["high_oz"] - q_high) <= 0.55
    assert abs(record["p50"] - q_mid) <= 0.55
    assert record["prob_reach_low"] == np.count_nonzero(paths >= record["range"]["low_oz"]
                                                        ) / N_PATHS
    assert record["prob_reach_low"] == pytest.approx((1 + coverage) / 2, abs=3 / N_PATHS)
    assert record["proposed"] is None


def test_range_agrees_with_the_served_models_own_quantiles(store, tmp_path):
    import mlflow

    from models.data.datasets import dynacor_path
    from models.data.digest import flat_table
    from training.tracking import tracking_uri

    out = tmp_path / "g"
    assert guidance(store, out, "--year", "2017", "--as-of", "2017-03") == 0
    record = strict_json(out / "guidance.json")
    with tracking_uri(store):
        model = mlflow.pyfunc.load_model("models:/orecast@champion")
    from models.data.datasets import dynacor

    frame = model.predict(flat_table(dynacor().monthly), params={
        "as_of": "2017-03", "year": 2017, "n_paths": N_PATHS, "seed": 0,
        "periods": dynacor_path("periods.csv").read_text()})
    annual = frame.loc[frame["section"] == "annual"].iloc[0]
    assert record["range"] == {"low_oz": whole_oz(annual["p10"]),
                               "high_oz": whole_oz(annual["p90"])}
    assert record["p50"] == whole_oz(annual["p50"])


def test_proposed_range_odds_sum_to_one_and_count_the_paths(store, tmp_path):
    out = tmp_path / "g"
    assert guidance(store, out, "--year", "2017", "--as-of", "2017-06",
                    "--range", "75000:82000") == 0
    p = strict_json(out / "guidance.json")["proposed"]
    assert (p["low_oz"], p["high_oz"]) == (75000.0, 82000.0)
    below = 1 - p["prob_reach_low"]
    assert below + p["prob_within"] + p["prob_above_high"] == pytest.approx(1, abs=1e-12)
    paths = served_paths(store, 2017, "2017-06")
    assert p["prob_reach_low"] == np.count_nonzero(paths >= 75000) / N_PATHS
    assert p["prob_within"] == np.count_nonzero((paths >= 75000) & (paths <= 82000)) / N_PATHS
    assert p["prob_above_high"] == np.count_nonzero(paths > 82000) / N_PATHS


def test_same_inputs_and_seed_give_the_same_bytes(store, tmp_path):
    args = ["--year", "2018", "--range", "78000:82000", "--seed", "7"]
    assert guidance(store, tmp_path / "a", *args) == 0
    assert guidance(store, tmp_path / "b", *args) == 0
    for name in FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert guidance(store, tmp_path / "c", "--year", "2018", "--seed", "8") == 0
    assert (strict_json(tmp_path / "c" / "guidance.json")["range"]
            != strict_json(tmp_path / "a" / "guidance.json")["range"])


@pytest.mark.parametrize(("args", "flag"), [
    (["--year", "2018", "--coverage", "1.5"], "--coverage"),
    (["--year", "2018", "--coverage", "0"], "--coverage"),
    (["--year", "2018", "--coverage", "nan"], "--coverage"),
    (["--year", "2018", "--range", "5:3"], "--range"),
    (["--year", "2018", "--range", "78000-82000"], "--range"),
    (["--year", "99999"], "--year"),
    (["--year", "2018", "--as-of", "2017-06"], "--as-of"),
    (["--year", "2018", "--as-of", "2018-12"], "--as-of"),
    (["--year", "2019"], "--as-of"),  # December 2018 is after the embedded data
    (["--year", "2018", "--n-paths", "5"], "--n-paths"),
])
def test_bad_options_exit_2_with_one_line_and_write_nothing(store, tmp_path, capsys, args,
                                                            flag):
    out = tmp_path / "g"
    assert guidance(store, out, *args) == 2
    captured = capsys.readouterr()
    err = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert len(err) == 1 and flag in err[0], captured.err
    assert captured.out == ""
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_model_exits_2_and_writes_nothing(store, tmp_path, capsys):
    # a name the reachable store does not hold is a usage error; exit 3 is for a store
    # that cannot be reached (tests/forecast/test_model_uri_errors.py)
    out = tmp_path / "g"
    assert main(["guidance", "--year", "2018", "--model", "models:/nope@champion",
                 "--tracking-uri", store, "--out", str(out)]) == 2
    assert "models:/nope@champion" in capsys.readouterr().err
    assert not out.exists()


def test_help_names_the_options_and_exit_codes(capsys, monkeypatch):
    # (80 columns: tests/forecast/test_help.py checks every registered command)
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["guidance", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--coverage" in out and "--guidance-range" in out and "74 the folder" in out


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 2e5), min_size=1, max_size=300),
       st.floats(0.01, 0.99), st.floats(0, 2e5), st.floats(0, 2e5))
def test_advice_is_ordered_and_its_odds_are_shares_of_the_paths(values, coverage, a, b):
    paths = np.array(values)
    advice = advise(paths, coverage, (min(a, b), max(a, b)))
    assert advice.low_oz <= advice.p50_oz <= advice.high_oz
    assert advice.prob_reach_low == np.count_nonzero(paths >= advice.low_oz) / paths.size
    p = advice.proposed
    assert 0 <= p.prob_above_high <= p.prob_reach_low <= 1
    assert (1 - p.prob_reach_low) + p.prob_within + p.prob_above_high == pytest.approx(
        1, abs=1e-12)


@given(st.one_of(st.floats(), st.just("0.8"), st.just("eighty")))
def test_coverage_is_refused_outside_the_open_unit_interval(value):
    try:
        c = float(value)
    except ValueError:
        c = math.nan
    if 0 < c < 1:
        assert check_coverage(value) == c
    else:
        with pytest.raises(UsageError, match="between 0 and 1"):
            check_coverage(value)


def test_a_proposed_range_must_be_ordered():
    with pytest.raises(UsageError) as info:
        advise(np.arange(100.0), 0.8, (5.0, 3.0))
    assert info.value.option == "range"
