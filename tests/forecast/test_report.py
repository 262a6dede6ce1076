"""The publication report: its opening sentence and a page that needs nothing from outside."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

from forecast.charts import fan_chart, guidance_chart, save_png
from forecast.report import ReportInputs, lead_sentence, render_report
from models.core.summary import annual_summary, monthly_frame, quarterly_frame
from models.core.year import forecast_year
from models.zoo import make_model

GUIDANCE = (88000.0, 92000.0)


@pytest.fixture(scope="module")
def june(dynacor):
    """The Dynacor year 2017 forecast from June 2017 (share run-rate, 2000 paths, seed 0)."""
    return forecast_year(make_model("share_runrate"), dynacor.monthly, pd.Period("2017-06", "M"),
                         n_paths=2000, seed=0, periods=dynacor.periods)


def _oz(x: float) -> str:
    return f"{int(x + 0.5):,d}"


def test_lead_sentence_on_dynacor_june_2017(june):
    annual = annual_summary(june, GUIDANCE)
    text = lead_sentence(annual)
    m = re.fullmatch(r"As of June 2017 \(6 months actual, 35,310 oz\) 2017 output is forecast "
                     r"at ([\d,]+) oz \(80% range ([\d,]+)-([\d,]+)\); the chance of reaching "
                     r"the guidance low end of 88,000 oz is (\d+)%\.", text)
    assert m, text
    assert m[1] == _oz(annual["p50"])
    assert (m[2], m[3]) == (_oz(annual["p10"]), _oz(annual["p90"]))
    assert int(m[4]) == round(100 * (1 - annual["prob_below_low"]))
    # June 2017 ran well short of the 88-92 koz guidance (the year ended at 79,897 oz).
    assert int(m[4]) < 50


def test_lead_sentence_without_guidance_and_without_actuals(dynacor):
    yf = forecast_year(make_model("share_runrate"), dynacor.monthly, pd.Period("2016-12", "M"),
                       n_paths=500, seed=1, periods=dynacor.periods)
    text = lead_sentence(annual_summary(yf, None))
    assert text.startswith("As of December 2016 (no 2017 month actual yet) 2017 output is "
                           "forecast at ")
    assert text.endswith("; no production guidance is in force for 2017.")


@pytest.mark.parametrize(("p_below", "shown"), [(0.9999, "under 1%"), (0.0001, "over 99%"),
                                                (1.0, "0%"), (0.0, "100%"), (0.87, "13%")])
def test_extreme_chances_are_not_rounded_to_certainty(june, p_below, shown):
    annual = {**annual_summary(june, GUIDANCE), "prob_below_low": p_below}
    assert lead_sentence(annual).endswith(f"88,000 oz is {shown}.")


class _Refs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.refs += [(tag, k, v or "") for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def page(june, tmp_path_factory) -> tuple[str, ReportInputs]:
    tmp: Path = tmp_path_factory.mktemp("report")
    inputs = ReportInputs(
        annual=annual_summary(june, GUIDANCE, model_version="3", data_sha256="ab" * 32,
                              orecast_version="0.1.0"),
        monthly=monthly_frame(june), quarterly=quarterly_frame(june),
        fan_png=save_png(fan_chart(june, GUIDANCE), tmp / "f.png").read_bytes(),
        guidance_png=save_png(guidance_chart(june, GUIDANCE), tmp / "g.png").read_bytes(),
        model={"uri": "models:/orecast@champion", "name": "orecast", "version": "3",
               "alias": "champion", "run_id": "r" * 32, "spec": "share_runrate@abc",
               "zoo_model": "share_runrate"},
        backtest={"model": "share_runrate", "months_known": 6, "n_origins": 3.0,
                  "annual_ape": 2.5, "annual_crps": 1500.0, "annual_cover80": 2 / 3,
                  "guidance_annual_ape": 12.6, "run_id": "p" * 32},
        data_label="plant <A&B>.csv", n_paths=2000, seed=0)
    return render_report(inputs), inputs


def test_report_is_self_contained(page):
    html, inputs = page
    parser = _Refs()
    parser.feed(html)
    assert "script" not in parser.tags and "link" not in parser.tags
    for tag, attr, value in parser.refs:
        if attr in ("src", "href"):
            assert value.startswith("data:"), (tag, attr, value[:60])
    images = [v for t, a, v in parser.refs if t == "img" and a == "src"]
    assert len(images) == 2
    decoded = [base64.b64decode(v.split(",", 1)[1]) for v in images]
    assert decoded == [inputs.fan_png, inputs.guidance_png]
    without_images = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", html)
    assert "http" not in without_images and "//" not in without_images.replace("<!--", "")


def test_report_opens_with_the_sentence_then_charts_tables_model_and_accuracy(page):
    html, inputs = page
    sentence = lead_sentence(inputs.annual)
    body = html[html.index("<body>"):]
    first_p = re.search(r"<p[^>]*>(.*?)</p>", body, re.S)[1]
    assert first_p == sentence
    order = [body.index(s) for s in (sentence, "<img", "Monthly table", "Quarterly table",
                                     "orecast version 3", "Backtest accuracy at 6 months")]
    assert order == sorted(order)
    assert body.count("<tr class=\"actual\">") == 6 + 2  # six months, two whole quarters
    assert body.count("<tr class=\"forecast\">") == 6 + 2
    assert "off by 2.5% of the actual on average over 3 forecast origins" in body
    assert "held the actual 67% of the time" in body
    assert "plant &lt;A&amp;B&gt;.csv" in body and "<A&B>" not in body


def test_report_bytes_do_not_change_between_renders(page):
    html, inputs = page
    assert render_report(inputs) == html


def test_report_says_when_no_backtest_score_is_available(page):
    _, inputs = page
    from dataclasses import replace

    html = render_report(replace(inputs, backtest=None))
    assert "No backtest score of this model at 6 months known" in html
