from __future__ import annotations

import json

import pandas as pd
import pytest

from forecast.cli import main
from models.core.summary import ANNUAL_KEYS, MONTHLY_COLUMNS, SALES_COLUMNS


def test_forecast_on_embedded_data_end_to_end(tmp_path, capsys):
    out = tmp_path / "fc"
    code = main(["forecast", "--as-of", "2017-06", "--guidance-range", "88000:92000",
                 "--model", "share_runrate", "--n-paths", "2000", "--out", str(out)])
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["annual.json", "fan_chart.png",
                                                    "monthly.csv", "quarterly.csv"]
    annual = json.loads((out / "annual.json").read_text())
    assert list(annual) == [*ANNUAL_KEYS, "sales_usd"]
    assert annual["ytd_oz"] == 35310.0 and annual["months_actual"] == 6
    # the embedded gold price reaches June 2017: sales come with the ounces
    assert annual["measure"] == "oz" and annual["guidance_metric"] == "oz"
    assert annual["sales_usd"]["p10"] < annual["sales_usd"]["p50"] < annual["sales_usd"]["p90"]
    # what happened: 79,897 oz, well below the 88-92k guidance
    assert annual["p10"] < 79897 < annual["p90"]
    assert annual["prob_below_low"] > 0.5
    assert len(annual["data_sha256"]) == 64
    monthly = pd.read_csv(out / "monthly.csv")
    assert list(monthly.columns) == [*MONTHLY_COLUMNS, *SALES_COLUMNS]
    assert monthly["kind"].tolist() == ["actual"] * 6 + ["forecast"] * 6
    assert "80% range" in capsys.readouterr().out


def test_same_inputs_give_the_same_bytes(tmp_path):
    args = ["forecast", "--as-of", "2017-09", "--model", "share_runrate", "--n-paths", "500"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    assert main([*args, "--out", str(tmp_path / "b")]) == 0
    for name in ("annual.json", "monthly.csv", "quarterly.csv", "fan_chart.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


@pytest.mark.parametrize(("args", "message"), [
    (["--as-of", "2017/06"], "--as-of: expected a month as YYYY-MM"),
    (["--as-of", "2017-06", "--guidance-range", "92000-88000"], "--guidance-range"),
    # The library names the parameter (model, as_of); the command line shows its flag.
    (["--as-of", "2017-06", "--model", "prophet"], "error: --model: unknown model 'prophet'"),
    (["--as-of", "2019-03"], "error: --as-of: 2019-03 is after the last month of the data"),
])
def test_bad_arguments_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, args,
                                                              message):
    out = tmp_path / "fc"
    assert main(["forecast", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_bad_data_file_names_file_row_and_field(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("month,gold_oz\n2017-01,5208\n2017-02,-5\n")
    assert main(["forecast", "--data", str(bad), "--as-of", "2017-02",
                 "--out", str(tmp_path / "fc")]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: gold_oz:" in err
    assert not (tmp_path / "fc").exists()


def test_scenario_of_ore_purchases_moves_the_forecast(tmp_path):
    from models.simulator.plant import simulate_plant

    data = tmp_path / "plant.csv"
    simulate_plant(96, seed=3).reset_index().assign(
        month=lambda d: d["month"].astype(str)).to_csv(data, index=False)
    medians = []
    for tonnes in (5000, 9000):
        out = tmp_path / f"fc{tonnes}"
        assert main(["forecast", "--data", str(data), "--as-of", "2017-06", "--model",
                     "sarimax", "--n-paths", "500", "--scenario",
                     f"ore_purchased_t={tonnes}", "--out", str(out)]) == 0
        medians.append(json.loads((out / "annual.json").read_text())["p50"])
    assert medians[1] > medians[0] * 1.1


@pytest.mark.parametrize("item", ["ore_purchased_t", "gold_oz=5", "ore_purchased_t=-1",
                                  "ore_purchased_t=abc"])
def test_bad_scenario_is_a_usage_error(tmp_path, capsys, item):
    assert main(["forecast", "--as-of", "2017-06", "--model", "sarimax", "--scenario", item,
                 "--out", str(tmp_path / "fc")]) == 2
    assert "--scenario" in capsys.readouterr().err
