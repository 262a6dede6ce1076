"""The pyfunc forecasting model: same numbers as the forecast core, in process and reloaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from models.core.errors import DataValidationError, UsageError
from models.core.summary import annual_summary, monthly_frame
from models.core.year import forecast_year
from models.data.digest import flat_table
from models.simulator.plant import simulate_plant
from training.serving import OUTPUT_COLUMNS, forecast_frame, history_from_input
from training.spec import ModelSpec
from training.tracking import tracking_uri


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return simulate_plant(48, seed=11, start="2014-01")


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import mlflow

    root = tmp_path_factory.mktemp("pyfunc-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    with tracking_uri(uri):
        exp = mlflow.MlflowClient().create_experiment("pyfunc",
                                                      artifact_location=str(root / "artifacts"))
        yield uri, exp, root


def test_forecast_frame_matches_the_forecast_core(history: pd.DataFrame) -> None:
    spec = ModelSpec.for_name("seasonal_naive")
    as_of = pd.Period("2016-05", freq="M")
    out = forecast_frame(spec, flat_table(history),
                         {"as_of": "2016-05", "n_paths": 300, "seed": 4,
                          "guidance_low": 80000.0, "guidance_high": 90000.0})
    yf = forecast_year(spec.build(), history, as_of, None, n_paths=300, seed=4)
    monthly = monthly_frame(yf)
    months = out.loc[out["section"] == "month"]
    assert list(months["period"]) == list(monthly["month"])
    assert list(months["kind"]) == list(monthly["kind"])
    for col in ("mean", "p10", "p50", "p90"):
        np.testing.assert_array_equal(months[col].to_numpy(), monthly[col].to_numpy())
    annual = annual_summary(yf, (80000.0, 90000.0))
    row = out.loc[out["section"] == "annual"].iloc[0]
    for key in ("mean", "p05", "p10", "p50", "p90", "p95", "ytd_oz", "prob_below_low",
                "prob_within", "prob_above_high"):
        assert row[key] == annual[key], key
    assert row["months_actual"] == 5
    assert row["prob_below_low"] + row["prob_within"] + row["prob_above_high"] == pytest.approx(1)


def test_output_has_twelve_months_and_one_annual_row(history: pd.DataFrame) -> None:
    out = forecast_frame(ModelSpec.for_name("drift"), flat_table(history),
                         {"n_paths": 200, "quantiles": [0.1, 0.25, 0.5, 0.9]})
    assert list(out.columns[:len(OUTPUT_COLUMNS)]) == OUTPUT_COLUMNS
    assert list(out["section"]) == ["month"] * 12 + ["annual"]
    # default as_of = last month with a figure (2017-12) -> the next year is forecast
    assert out["year"].unique().tolist() == [2018]
    assert (out.loc[out["section"] == "month", "kind"] == "forecast").all()
    assert out.loc[out["section"] == "month", "guidance_low"].isna().all()
    assert (out["p10"] <= out["p25"]).all() and (out["p25"] <= out["p50"]).all()
    assert (out[["mean", "p10", "p50", "p90"]] >= 0).all().all()


def test_params_are_validated(history: pd.DataFrame) -> None:
    x = flat_table(history)
    spec = ModelSpec.for_name("drift")
    with pytest.raises(UsageError, match="both or neither"):
        forecast_frame(spec, x, {"guidance_low": 1.0})
    with pytest.raises(UsageError, match="unknown"):
        forecast_frame(spec, x, {"horizon": 3})
    with pytest.raises(UsageError, match="as_of"):
        forecast_frame(spec, x, {"as_of": "June"})


def test_bad_input_names_the_row_and_field(history: pd.DataFrame) -> None:
    x = flat_table(history)
    x.loc[3, "gold_oz"] = -5.0
    with pytest.raises(DataValidationError, match=r"<model input>:5: gold_oz"):
        history_from_input(x)


def test_input_round_trips_to_the_production_frame(history: pd.DataFrame) -> None:
    back, digest = history_from_input(flat_table(history))
    assert back.index.equals(history.index)
    np.testing.assert_array_equal(back["gold_oz"].to_numpy(), history["gold_oz"].to_numpy())
    assert len(digest) == 64


def _log_and_register(history, store, name: str, spec: ModelSpec):
    import mlflow

    from training.registry import CHAMPION, register
    from training.serving import log_forecast_model

    uri, exp, root = store
    with tracking_uri(uri), mlflow.start_run(experiment_id=exp):
        info = log_forecast_model(spec, history, root / f"work-{name}")
        mv = register(info.model_uri, name, CHAMPION, {"data_sha256": "x"})
    return info, mv


def test_logged_model_is_pickle_free_and_has_params_signature(history, store) -> None:
    import mlflow

    spec = ModelSpec.for_name("drift")
    info, _ = _log_and_register(history, store, "pf-sig", spec)
    with tracking_uri(store[0]):
        local = Path(mlflow.artifacts.download_artifacts(info.model_uri,
                                                         dst_path=str(store[2] / "dl")))
        params = {p.name: p.default for p in info.signature.params.params}
    files = [p.relative_to(local).as_posix() for p in local.rglob("*") if p.is_file()]
    assert not [f for f in files if f.endswith((".pkl", ".pickle", ".cloudpickle"))]
    assert "artifacts/spec.json" in files
    assert ModelSpec.load(local / "artifacts" / "spec.json").same_procedure(spec)
    assert "model_code_path" in (local / "MLmodel").read_text()
    assert params["n_paths"] == 4000 and params["as_of"] == "" and params["seed"] == 0
    assert {"guidance_low", "guidance_high", "quantiles", "year"} <= set(params)


@pytest.mark.slow
def test_the_champion_accepts_the_package_own_frame(store) -> None:
    import mlflow

    from models.data.datasets import dynacor

    own = dynacor().monthly  # months as a PeriodIndex, source columns beside the figures
    spec = ModelSpec.for_name("drift")
    _log_and_register(own, store, "pf-own", spec)
    params = {"as_of": "2017-06", "n_paths": 200, "seed": 3}
    with tracking_uri(store[0]):
        loaded = mlflow.pyfunc.load_model("models:/pf-own@champion")
        from_frame = loaded.predict(own, params=params)
        from_table = loaded.predict(flat_table(own), params=params)
    pd.testing.assert_frame_equal(from_frame, from_table)
    assert from_frame.loc[from_frame["section"] == "annual", "as_of"].item() == "2017-06"


@pytest.mark.slow
def test_champion_in_a_fresh_process_predicts_the_same_numbers(history, store) -> None:
    import mlflow

    spec = ModelSpec.for_name("seasonal_naive")
    _log_and_register(history, store, "pf-fresh", spec)
    x = flat_table(history)
    params = {"as_of": "2016-08", "n_paths": 400, "seed": 9, "guidance_low": 80000.0,
              "guidance_high": 85000.0}
    expected = forecast_frame(spec, x, params)
    with tracking_uri(store[0]):
        loaded = mlflow.pyfunc.load_model("models:/pf-fresh@champion")
        in_process = loaded.predict(x, params=params)
    pd.testing.assert_frame_equal(in_process.reset_index(drop=True), expected,
                                  check_dtype=False)

    code = (
        "import sys, json, mlflow, pandas as pd\n"
        "x = pd.read_json(sys.stdin, orient='split', dtype={'month': str})\n"
        "x = x.astype({c: float for c in x.columns if c != 'month'})\n"
        "m = mlflow.pyfunc.load_model('models:/pf-fresh@champion')\n"
        f"out = m.predict(x, params={params!r})\n"
        "print(out.to_json(orient='split'))\n")
    env = {**os.environ, "MLFLOW_TRACKING_URI": store[0]}
    proc = subprocess.run([sys.executable, "-c", code], input=x.to_json(orient="split"),
                          capture_output=True, text=True, env=env, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    fresh = pd.DataFrame(**{k: v for k, v in json.loads(proc.stdout.strip().splitlines()[-1])
                            .items() if k in ("columns", "data")})
    for col in ("mean", "p05", "p10", "p50", "p90", "p95", "prob_within"):
        np.testing.assert_array_equal(fresh[col].to_numpy(dtype=float),
                                      expected[col].to_numpy(dtype=float))
    assert list(fresh["period"]) == list(expected["period"])
