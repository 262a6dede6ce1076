"""One rule for writing a number: the console line, the charts and the report agree."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from forecast.charts import guidance_chart
from forecast.cli import main
from forecast.numbers import oz, pct
from forecast.report import lead_sentence
from models.core.summary import annual_summary
from models.core.year import forecast_year
from models.data.datasets import dynacor
from models.zoo import make_model


@pytest.mark.parametrize(("value", "text"), [
    (89_892.5, "89,893"), (89_891.5, "89,892"),   # half up, never half to even
    (89_892.46, "89,893"),                          # as published (0.1 oz), then half up
    (89_892.44, "89,892"), (0.4, "0"), (1_234_567.0, "1,234,567"),
])
def test_ounces_round_half_up_from_the_published_precision(value: float, text: str) -> None:
    assert oz(value) == text


@pytest.mark.parametrize(("p", "text"), [
    (0.0, "0%"), (0.004, "under 1%"), (0.125, "13%"), (0.5, "50%"), (0.996, "over 99%"),
    (1.0, "100%"),
])
def test_probabilities_never_read_certain_unless_they_are(p: float, text: str) -> None:
    assert pct(p) == text


def test_the_chart_the_report_and_the_console_write_the_same_figures(tmp_path: Path,
                                                                     capsys) -> None:
    ds = dynacor()
    guidance = (88_000.0, 92_000.0)
    yf = forecast_year(make_model("share_runrate"), ds.monthly, ds.monthly.index[-7],
                       n_paths=500, seed=4, periods=ds.periods)
    annual = annual_summary(yf, guidance)
    title = guidance_chart(yf, guidance).axes[0].get_title()
    for key in ("p10", "p50", "p90"):
        assert oz(annual[key]) in title and oz(annual[key]) in lead_sentence(annual)
    assert f"P(below 88,000) = {pct(annual['prob_below_low'])}" in title

    out = tmp_path / "fc"
    assert main(["forecast", "--as-of", "2017-06", "--guidance-range", "88000:92000",
                 "--n-paths", "500", "--out", str(out)]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    written = json.loads((out / "annual.json").read_text())
    assert re.search(rf"median {oz(written['p50'])} oz, 80% range "
                     rf"{oz(written['p10'])}-{oz(written['p90'])}", line)
    assert f"P(>= guidance low 88,000) = {pct(1 - written['prob_below_low'])}" in line
