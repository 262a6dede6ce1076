"""orecast validate: its two digests named apart (the file's bytes, the figures), and
every kind of input file told apart by its header."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from forecast.cli import main


def test_validate_prints_the_file_digest_and_the_figures_digest_annual_json_quotes(tmp_path,
                                                                                  capsys):
    data = tmp_path / "plant.csv"
    data.write_text("month,gold_oz\n" + "".join(f"2016-{m:02d},{5000 + 10 * m}\n"
                                                 for m in range(1, 13))
                    + "2017-01,5100\n2017-02,\n2017-03,5300\n")
    assert main(["validate", str(data)]) == 0
    lines = dict(line.split(": ", 1) for line in capsys.readouterr().out.splitlines())
    assert lines["file_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert "sha256" not in lines  # no digest without saying of what
    assert lines["gaps"] == "2017-02 (1 month without a figure)"
    out = tmp_path / "fc"
    assert main(["forecast", "--data", str(data), "--as-of", "2017-01", "--model", "naive",
                 "--n-paths", "50", "--out", str(out)]) == 0
    assert json.loads((out / "annual.json").read_text())["data_sha256"] == lines["data_sha256"]


EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_validate_tells_period_guidance_and_price_files_apart_by_their_header(capsys):
    for name, kind, line in [
            ("periods.csv", "periods", "sales: 2 rows (USD), 2016-01..2016-12"),
            ("guidance_metrics.csv", "guidance",
             "2017 sales_usd: 95,000,000-105,000,000 (announced 2017-02-01)"),
            ("prices.csv", "prices", "months: 2016-01..2017-12 (24 months)")]:
        assert main(["validate", str(EXAMPLES / name)]) == 0
        out = capsys.readouterr().out.splitlines()
        assert out[0] == f"kind: {kind}" and line in out, out


def test_validate_takes_each_kind_by_option_and_refuses_a_bad_one_in_one_line(tmp_path,
                                                                              capsys):
    assert main(["validate", "--periods", str(EXAMPLES / "periods.csv"), "--prices",
                 str(EXAMPLES / "prices.csv")]) == 0
    out = capsys.readouterr().out
    assert "gold_produced: 4 rows (oz)" in out and "usd_per_oz: " in out
    bad = tmp_path / "prices.csv"
    bad.write_text("month,usd_per_oz\n2017-01,1200\n2017-02,-3\n")
    assert main(["validate", "--prices", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"error: {bad}:3: usd_per_oz: expected a price > 0 USD/oz, found -3"]
