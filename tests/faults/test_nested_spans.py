"""A period total larger than a span that contains it is refused in one line (a part is
never more than its whole): through the command line, where a user meets it."""

from __future__ import annotations

import pytest

from forecast.cli import main

HEADER = "period,metric,value,unit,release_date\n"


@pytest.mark.parametrize(("rows", "part", "whole"), [
    # Q2 above H1: chained from January it gave a year-to-date of 50,000 citing H1 42,599
    ("2017Q1,gold_produced,17125,oz,2017-07-21\n2017H1,gold_produced,42599,oz,2017-07-21\n"
     "2017Q2,gold_produced,50000,oz,2017-07-21\n", "2017Q2 (50,000 oz)", "2017H1 (42,599 oz"),
    # a quarter above its year
    ("2016,gold_produced,73476,oz,2017-03-30\n2016Q4,gold_produced,80000,oz,2017-03-30\n",
     "2016Q4 (80,000 oz)", "2016 (73,476 oz"),
    # sales too: a quarter's sales above the half that holds it
    ("2017H1,gold_produced,35310,oz,2017-07-21\n2017H1,sales,41900000,USD,2017-07-21\n"
     "2017Q1,sales,52000000,USD,2017-07-21\n", "2017Q1 (52,000,000 USD)", "2017H1 (41,900,000 USD"),
])
def test_a_part_larger_than_its_whole_is_refused(tmp_path, capsys, rows, part, whole):
    periods = tmp_path / "periods.csv"
    periods.write_text(HEADER + rows)
    out = tmp_path / "fc"
    assert main(["forecast", "--periods", str(periods), "--as-of", "2017-06", "--year",
                 "2017", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and part in err[0] and whole in err[0], err
    assert "expected a part no larger than its whole" in err[0]
    assert not out.exists()


def test_parts_within_their_whole_are_read(tmp_path):
    periods = tmp_path / "periods.csv"
    periods.write_text(HEADER + "2017Q1,gold_produced,17125,oz,2017-07-21\n"
                       "2017H1,gold_produced,35310,oz,2017-07-21\n"
                       "2017Q2,gold_produced,18185,oz,2017-07-21\n")
    assert main(["forecast", "--periods", str(periods), "--as-of", "2017-06", "--year",
                 "2017", "--model", "share_runrate", "--n-paths", "200",
                 "--out", str(tmp_path / "fc")]) == 0
