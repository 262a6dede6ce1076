"""Guidance in the company's own terms through the command line: a quarterly reporter in
gold-equivalent ounces with sales guidance, the bad inputs that come with prices, units and
guidance metrics, and a publication whose report opens on dollars.

The plant and prices here are simulated (a 25,000 oz AuEq a quarter plant and a gold price
walking from US$1,250), never real figures.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from forecast.cli import main
from tests.forecast.test_publish import registered_store

QUARTERS = pd.period_range("2018Q1", "2021Q2", freq="Q")


def simulated_prices(last: str = "2021-06") -> pd.DataFrame:
    """A simulated monthly gold price from 2014-01 to ``last`` (log walk, 3% a month)."""
    months = pd.period_range("2014-01", last, freq="M")
    rng = np.random.default_rng(11)
    price = 1250 * np.exp(np.cumsum(rng.normal(0, 0.03, len(months))))
    return pd.DataFrame({"month": months.astype(str), "usd_per_oz": price.round(2),
                         "source": "simulated"})


def write_plant(tmp_path, unit_2021: str = "oz AuEq") -> tuple:
    """Quarterly AuEq output (oz before 2021 and ``unit_2021`` from 2021, as the reference
    company switched) and quarterly sales, the price file, a sales guidance file."""
    prices = simulated_prices()
    by_month = prices.set_index("month")["usd_per_oz"]
    rng = np.random.default_rng(5)
    rows = []
    for q in QUARTERS:
        oz = 25_000 * (1 + 0.03 * (q.year - 2018)) * rng.normal(1, 0.04)
        months = pd.period_range(q.asfreq("M", "s"), q.asfreq("M", "e"), freq="M")
        usd = oz * by_month.loc[months.astype(str)].mean() * 1.02
        unit = unit_2021 if q.year >= 2021 else "oz"
        rows.append(f"{q},gold_produced,{oz:.0f},{unit},2021-07-15")
        rows.append(f"{q},sales,{usd:.0f},USD,2021-07-15")
    periods = tmp_path / "periods.csv"
    periods.write_text("period,metric,value,unit,release_date\n" + "\n".join(rows) + "\n")
    price_file = tmp_path / "prices.csv"
    prices.to_csv(price_file, index=False)
    guidance = tmp_path / "guidance.csv"
    guidance.write_text("year,metric,low,high,announced\n"
                        "2021,sales_usd,200000000,220000000,2021-02-20\n")
    return periods, price_file, guidance


def test_quarterly_aueq_reporter_with_sales_guidance_answers_in_dollars(tmp_path, capsys):
    periods, prices, guidance = write_plant(tmp_path)
    out = tmp_path / "fc"
    assert main(["forecast", "--periods", str(periods), "--prices", str(prices),
                 "--guidance", str(guidance), "--as-of", "2021-06", "--year", "2021",
                 "--n-paths", "1000", "--out", str(out)]) == 0
    annual = json.loads((out / "annual.json").read_text())
    sales = annual["sales_usd"]
    assert sales["p10"] < sales["p50"] < sales["p90"]
    assert 0 <= sales["prob_within"] <= 1
    assert (sales["guidance_low"], sales["guidance_high"]) == (200e6, 220e6)
    assert sales["ytd_source"] == "periods" and sales["ytd_spans"] == "2021Q1; 2021Q2"
    assert annual["measure"] == "oz AuEq" and annual["guidance_metric"] == "sales_usd"
    # no output guidance: the ounce odds stay empty, the sales odds are the answer
    assert annual["prob_within"] is None
    quarterly = pd.read_csv(out / "quarterly.csv")
    assert quarterly["sales_p50"].notna().all()
    assert (out / "sales_chart.png").stat().st_size > 0
    line = capsys.readouterr().out
    assert "oz AuEq" in line and "P(sales within guidance US$200.0M-US$220.0M)" in line


def test_a_span_given_in_oz_and_in_oz_aueq_is_refused(tmp_path, capsys):
    periods, prices, _ = write_plant(tmp_path)
    text = periods.read_text().splitlines()
    first = next(r for r in text if r.startswith("2021Q1,gold_produced"))
    # the same span in the other unit, same release: nothing says which wins
    text.append(first.replace("oz AuEq", "oz"))
    periods.write_text("\n".join(text) + "\n")
    assert main(["forecast", "--periods", str(periods), "--prices", str(prices),
                 "--as-of", "2021-06", "--out", str(tmp_path / "fc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unit: 2021Q1 is given in" in err[0]
    assert "expected one unit per span" in err[0]
    assert not (tmp_path / "fc").exists()


def test_a_year_mixing_oz_and_oz_aueq_is_refused(tmp_path, capsys):
    periods, prices, _ = write_plant(tmp_path)
    # 2021Q2 in oz while 2021Q1 is in oz AuEq
    periods.write_text(re.sub(r"(2021Q2,gold_produced,\d+,)oz AuEq", r"\1oz",
                              periods.read_text()))
    assert main(["forecast", "--periods", str(periods), "--prices", str(prices),
                 "--as-of", "2021-06", "--out", str(tmp_path / "fc")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "figures of 2021 mix oz and oz AuEq" in err[0]


@pytest.mark.parametrize(("case", "expected"), [
    ("prices_end_early", "usd_per_oz: expected a gold price for every month of 2021 up to "
                         "2021-06, found none for 2021-04..2021-06"),
    ("negative_price", ":5: usd_per_oz: expected a price > 0 USD/oz"),
    ("text_price", ":5: usd_per_oz: expected a number"),
    ("unknown_metric", "guidance.csv:2: metric: expected a guidance metric: one of oz, "
                       "aueq_oz, sales_usd"),
])
def test_bad_price_and_guidance_inputs_are_one_line_and_exit_2(tmp_path, capsys, case,
                                                                expected):
    periods, prices, guidance = write_plant(tmp_path)
    frame = pd.read_csv(prices, dtype=str)
    if case == "prices_end_early":
        frame = frame.loc[frame["month"] <= "2021-03"]
    elif case == "negative_price":
        frame.loc[3, "usd_per_oz"] = "-1250"
    elif case == "text_price":
        frame.loc[3, "usd_per_oz"] = "n/a?"
    else:
        guidance.write_text("year,metric,low,high,announced\n"
                            "2021,revenue,200000000,220000000,2021-02-20\n")
    frame.to_csv(prices, index=False)
    out = tmp_path / "fc"
    assert main(["forecast", "--periods", str(periods), "--prices", str(prices),
                 "--guidance", str(guidance), "--as-of", "2021-06", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and expected in err[0], err
    assert "--prices" in err[0] or case != "prices_end_early"
    assert not out.exists()


def test_a_price_deck_prices_every_path_alike(tmp_path):
    periods, prices, guidance = write_plant(tmp_path)
    out = tmp_path / "fc"
    assert main(["forecast", "--periods", str(periods), "--prices", str(prices),
                 "--guidance", str(guidance), "--as-of", "2021-06", "--price-deck", "1850",
                 "--n-paths", "500", "--out", str(out)]) == 0
    sales = json.loads((out / "annual.json").read_text())["sales_usd"]
    assert sales["price_deck"] == "deck 1,850 USD/oz" and sales["price_model"] is None


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


def test_publish_with_sales_guidance_opens_on_dollars(store, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    guidance = tmp_path / "guidance.csv"
    guidance.write_text("year,metric,low,high,announced\n"
                        "2017,sales_usd,95000000,105000000,2017-01-12\n")
    root = tmp_path / "root"
    assert main(["publish", "--out", str(root), "--as-of", "2017-06", "--guidance",
                 str(guidance), "--n-paths", "500", "--tracking-uri", store]) == 0
    lead = capsys.readouterr().out.splitlines()[0]
    assert lead.startswith("As of June 2017 (6 months actual, US$")
    assert "2017 sales are forecast at US$" in lead
    assert "the chance of sales within the guidance of US$95.0M-US$105.0M is" in lead
    folder = root / "2017" / "2017-06"
    html = (folder / "report.html").read_text()
    assert lead in html and "Sales and the year so far" in html
    annual = json.loads((folder / "annual.json").read_text())
    assert annual["guidance_metric"] == "sales_usd"
    assert annual["sales_usd"]["prob_within"] is not None
    assert annual["guidance_low"] is None  # no ounce guidance was given


def test_guidance_advice_in_sales_dollars(store, tmp_path, capsys):
    out = tmp_path / "g"
    assert main(["guidance", "--year", "2017", "--metric", "sales_usd", "--range",
                 "95000000:105000000", "--n-paths", "500", "--tracking-uri", store,
                 "--out", str(out)]) == 0
    record = json.loads((out / "guidance.json").read_text())
    assert record["metric"] == "sales_usd" and "random walk" in record["price_model"]
    low, high = record["range"]["low_oz"], record["range"]["high_oz"]
    # a year of sales of the reference plant: tens of millions of dollars, not ounces
    assert 50e6 < low < record["p50"] < high < 200e6
    p = record["proposed"]
    assert p["prob_within"] + p["prob_above_high"] + (1 - p["prob_reach_low"]) == \
        pytest.approx(1.0)
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("For 2017 (as of December 2016) an 80% range is US$")
    assert "for the proposed US$95.0M-US$105.0M the chance of landing within it is" in line


def test_the_training_run_logs_the_sales_backtest(store):
    import mlflow

    from training.tracking import tracking_uri

    with tracking_uri(store):
        runs = mlflow.search_runs(experiment_names=["orecast"],
                                  filter_string="tags.`orecast.role` = 'training'")
        run_id = runs.iloc[0]["run_id"]
        artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run_id, "backtest")]
    row = runs.iloc[0]
    # the embedded data's years with published sales, at the quarter ends with a month known
    assert row["metrics.sales_n_origins"] >= 10
    assert 0 < row["metrics.sales_ape"] < 30 and 0 < row["metrics.sales_runrate_ape"] < 30
    assert row["metrics.sales_ape_ratio"] == pytest.approx(
        row["metrics.sales_ape"] / row["metrics.sales_runrate_ape"])
    assert 0 <= row["metrics.sales_cover80"] <= 100
    assert "backtest/sales.csv" in artifacts


def test_the_older_range_spelling_still_works_and_both_at_once_is_refused(store, tmp_path,
                                                                          capsys):
    base = ["guidance", "--year", "2018", "--n-paths", "200", "--tracking-uri", store]
    assert main([*base, "--range", "78000:82000", "--out", str(tmp_path / "old")]) == 0
    assert main([*base, "--guidance-range", "78000:82000", "--out", str(tmp_path / "new")]) == 0
    old = json.loads((tmp_path / "old" / "guidance.json").read_text())
    assert old == json.loads((tmp_path / "new" / "guidance.json").read_text())
    capsys.readouterr()
    assert main([*base, "--range", "1:2", "--guidance-range", "1:2",
                 "--out", str(tmp_path / "both")]) == 2
    assert "give one" in capsys.readouterr().err
