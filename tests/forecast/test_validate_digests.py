"""orecast validate names its two digests apart: the file's bytes and the figures."""

from __future__ import annotations

import hashlib
import json

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
