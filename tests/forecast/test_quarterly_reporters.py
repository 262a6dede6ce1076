"""Plants that report quarterly: forecasts from period totals alone, and their bad inputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.cli import main
from models.data.datasets import dynacor_path

HEADER = "period,metric,value,unit,release_date\n"


def write(tmp_path: Path, rows: str, name: str = "periods.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows)
    return path


def quarterly_plant(tmp_path: Path) -> Path:
    """Dynacor's published gold totals alone: a quarterly reporter."""
    lines = dynacor_path("periods.csv").read_text().splitlines()
    path = tmp_path / "dynacor_periods.csv"
    path.write_text("\n".join([lines[0], *[r for r in lines[1:] if ",gold_produced," in r]])
                    + "\n")
    return path


def run(args: list[str], capsys) -> tuple[int, list[str]]:
    code = main(args)
    return code, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_a_quarterly_reporter_is_forecast_from_its_totals(tmp_path, capsys):
    out = tmp_path / "fc"
    code, _ = run(["forecast", "--periods", str(quarterly_plant(tmp_path)), "--as-of",
                   "2015-06", "--n-paths", "500", "--out", str(out)], capsys)
    assert code == 0
    annual = json.loads((out / "annual.json").read_text())
    assert annual["ytd_oz"] == 32152.0 and annual["ytd_source"] == "periods"
    assert annual["ytd_spans"] == "2015H1"
    assert annual["p10"] < 67_603 < annual["p90"]  # the actual 2015 total
    quarters = pd.read_csv(out / "quarterly.csv")
    assert quarters["kind"].tolist() == ["actual", "actual", "forecast", "forecast"]
    assert quarters.loc[0, "mean"] == 15558.0 and quarters.loc[1, "mean"] == 16594.0
    monthly = pd.read_csv(out / "monthly.csv")
    # no month of 2015 has a figure of its own: only the forecast months are listed
    assert monthly["kind"].tolist() == ["forecast"] * 6


def test_a_year_to_date_total_makes_any_month_an_origin(tmp_path, capsys):
    rows = "".join(f"{y}Q{q},gold_produced,{15000 + 500 * q + 100 * (y - 2016)},oz,\n"
                   for y in (2016, 2017, 2018) for q in range(1, 5))
    rows += "2019Q1,gold_produced,16000,oz,\n2019-01..2019-05,gold_produced,27500,oz,\n"
    out = tmp_path / "fc"
    code, _ = run(["forecast", "--periods", str(write(tmp_path, rows)), "--as-of", "2019-05",
                   "--n-paths", "300", "--out", str(out)], capsys)
    assert code == 0
    annual = json.loads((out / "annual.json").read_text())
    assert annual["ytd_oz"] == 27500.0 and annual["months_actual"] == 5
    quarters = pd.read_csv(out / "quarterly.csv")
    # Q1 is published; April-May only as part of the five-month total
    assert quarters["kind"].tolist() == ["actual", "partial", "forecast", "forecast"]


def test_months_and_a_quarter_mix(tmp_path, capsys):
    data = tmp_path / "m.csv"
    months = [f"2019-{m:02d}" for m in range(1, 6)]
    pd.DataFrame({"month": months, "gold_oz": [None, None, None, 5100, 5300]}).to_csv(
        data, index=False)
    rows = "".join(f"{y}Q{q},gold_produced,15000,oz,\n" for y in (2017, 2018)
                   for q in range(1, 5)) + "2019Q1,gold_produced,15500,oz,\n"
    out = tmp_path / "fc"
    code, _ = run(["forecast", "--data", str(data), "--periods", str(write(tmp_path, rows)),
                   "--as-of", "2019-05", "--n-paths", "300", "--out", str(out)], capsys)
    assert code == 0
    annual = json.loads((out / "annual.json").read_text())
    assert annual["ytd_source"] == "mixed" and annual["ytd_oz"] == 15500 + 5100 + 5300
    assert annual["ytd_spans"] == "2019Q1; months 2019-04..2019-05"
    monthly = pd.read_csv(out / "monthly.csv")
    assert monthly["month"].tolist()[:2] == ["2019-04", "2019-05"]


@pytest.mark.parametrize(("rows", "as_of", "expected"), [
    # the output to as-of cannot be formed: which months are covered, which are missing
    ("2019Q1,gold_produced,15000,oz,\n2019Q3,gold_produced,15000,oz,\n", "2019-05",
     "covered 2019-01..2019-03, missing 2019-04..2019-05"),
    # Q1 + Q2 against H1 of the same release, 2% apart
    ("2019Q1,gold_produced,15000,oz,2019-07-20\n2019Q2,gold_produced,16000,oz,2019-07-20\n"
     "2019H1,gold_produced,31620,oz,2019-07-20\n", "2019-06", "2019Q2 (16,000 oz, line 3)"),
    # a unit other than oz
    ("2019Q1,gold_produced,466,kg,\n", "2019-03", "unit: expected 'oz' or 'oz AuEq' for gold_produced"),
    # an as-of past the last month the totals cover
    ("2019Q1,gold_produced,15000,oz,\n2019Q2,gold_produced,15000,oz,\n", "2019-09",
     "after the last month of the data (2019-06)"),
])
def test_bad_period_inputs_are_one_line_and_exit_2(tmp_path, capsys, rows, as_of, expected):
    out = tmp_path / "fc"
    code, err = run(["forecast", "--periods", str(write(tmp_path, rows)), "--as-of", as_of,
                     "--out", str(out)], capsys)
    assert code == 2 and len(err) == 1 and expected in err[0], err
    assert not out.exists()


def test_a_restatement_of_the_same_span_takes_the_latest_release(tmp_path, capsys, caplog):
    rows = "".join(f"{y}Q{q},gold_produced,15000,oz,\n" for y in (2017, 2018)
                   for q in range(1, 5))
    rows += ("2019Q1,gold_produced,15000,oz,2019-04-20\n"
             "2019Q1,gold_produced,14000,oz,2019-10-20\n")
    out = tmp_path / "fc"
    with caplog.at_level("DEBUG", logger="models.data.periods"):
        code, _ = run(["forecast", "--periods", str(write(tmp_path, rows)), "--as-of",
                       "2019-03", "--n-paths", "300", "--out", str(out)], capsys)
    assert code == 0
    assert json.loads((out / "annual.json").read_text())["ytd_oz"] == 14000.0
    assert any("restated" in r.message for r in caplog.records)


def test_the_same_output_to_date_gives_the_same_paths():
    """Months of the year published one by one, or as quarters chained from January, or
    as one year-to-date total: the same cumulative output gives the same annual paths
    (share_runrate, whose fit reads the target year only through its year to date)."""
    from models.core.year import forecast_year
    from models.data.tables import periods_from_table, table_from_bytes
    from models.zoo.share_runrate import SeasonalShareRunRate
    from tests.models.series import gold_frame

    rng = np.random.default_rng(0)
    past = rng.uniform(4000, 7000, 36)
    this = np.round(rng.uniform(4000, 7000, 6))
    history = gold_frame(np.r_[past, this, np.full(6, np.nan)], start="2016-01")
    text = HEADER + "".join(f"{y},gold_produced,{past[12 * i:12 * i + 12].sum()},oz,\n"
                            for i, y in enumerate((2016, 2017, 2018)))
    as_of = pd.Period("2019-06", "M")
    variants = {
        "months": (history, text),
        "quarters": (history.assign(gold_oz=history["gold_oz"].where(
            history.index < pd.Period("2019-01", "M"))),
            text + f"2019Q1,gold_produced,{this[:3].sum()},oz,\n"
                   f"2019Q2,gold_produced,{this[3:].sum()},oz,\n"),
        "ytd": (history.assign(gold_oz=history["gold_oz"].where(
            history.index < pd.Period("2019-01", "M"))),
            text + f"2019-01..2019-06,gold_produced,{this.sum()},oz,\n"),
    }
    paths = {}
    for name, (h, t) in variants.items():
        p = periods_from_table(table_from_bytes(t.encode(), "p.csv", "csv"))
        yf = forecast_year(SeasonalShareRunRate(), h, as_of, n_paths=500, seed=4, periods=p)
        paths[name] = yf.annual_paths
    np.testing.assert_allclose(paths["quarters"], paths["months"])
    np.testing.assert_allclose(paths["ytd"], paths["months"])
