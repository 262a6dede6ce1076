"""The notebook facade: ``import orecast``, the command line's defaults and numbers."""

from __future__ import annotations

import inspect
import json

import pytest
from matplotlib.figure import Figure

import orecast
from forecast.cli import main
from forecast.cli.cmd_forecast import forecast_cmd


def test_the_facade_has_the_command_lines_defaults():
    facade = inspect.signature(orecast.forecast).parameters
    cli = inspect.signature(forecast_cmd).parameters
    for name in ("n_paths", "seed", "model"):
        assert facade[name].default == cli[name].default.default, name
    assert set(orecast.__all__) >= {"forecast", "backtest", "ForecastResult"}


def test_a_string_month_gives_the_same_numbers_and_files_as_the_command_line(tmp_path):
    args = ["--as-of", "2017-06", "--guidance-range", "88000:92000", "--model",
            "share_runrate", "--n-paths", "500"]
    assert main(["forecast", *args, "--out", str(tmp_path / "cli")]) == 0
    result = orecast.forecast(as_of="2017-06", guidance=(88_000, 92_000),
                              model="share_runrate", n_paths=500)
    cli = json.loads((tmp_path / "cli" / "annual.json").read_text())
    assert result.annual == cli
    assert result.paths.shape == (500, 12) and result.annual_paths.shape == (500,)
    assert result.sales_paths.shape == (500, 12)
    assert list(result.monthly["month"])[:1] == ["2017-01"]
    assert isinstance(result.plot(), Figure)
    result.to_dir(tmp_path / "api")
    for name in ("annual.json", "monthly.csv", "quarterly.csv", "fan_chart.png"):
        assert (tmp_path / "api" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes()


def test_as_of_defaults_to_the_last_month_with_a_figure():
    result = orecast.forecast(model="share_runrate", n_paths=100)
    # December 2017 is the embedded data's last month: the forecast is of 2018
    assert (result.annual["as_of"], result.annual["year"]) == ("2017-12", 2018)


def test_a_bad_guidance_range_is_a_usage_error():
    from models.core.errors import UsageError

    with pytest.raises(UsageError, match="low <= high"):
        orecast.forecast(as_of="2017-06", guidance=(92_000, 88_000), n_paths=100)
