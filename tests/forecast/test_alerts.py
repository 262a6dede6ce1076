"""Publication alerts: guidance at risk, a month outside the previous 80% interval, and
``--fail-on-alert`` exiting 10 after publishing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.publish.alerts import ALERT_EXIT_CODE
from models.data.datasets import dynacor_path
from tests.forecast.test_publish import registered_store

N_PATHS = "500"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return registered_store(tmp_path_factory)


def _publish(store: str, root: Path, *more: str) -> int:
    return main(["publish", "--tracking-uri", store, "--out", str(root), "--n-paths", N_PATHS,
                 *more])


def _alerts(folder: Path) -> list[dict]:
    return json.loads((folder / "annual.json").read_text())["alerts"]


def test_guidance_out_of_reach_fires_and_fail_on_alert_exits_10_after_publishing(store,
                                                                               tmp_path):
    root = tmp_path / "root"
    # June 2017: 35,310 oz in six months against a guidance low end of 88,000 oz
    assert _publish(store, root, "--as-of", "2017-06", "--fail-on-alert") == ALERT_EXIT_CODE
    [alert] = _alerts(root / "2017" / "2017-06")
    assert alert["kind"] == "guidance_low_at_risk" and alert["prob_reach_low"] < 0.5
    report = (root / "latest" / "report.html").read_text()  # published before exiting 10
    assert "Alerts" in report and alert["message"] in report
    # the same publication again: unchanged, the alert still stands
    assert _publish(store, root, "--as-of", "2017-06", "--fail-on-alert") == ALERT_EXIT_CODE
    # without --fail-on-alert the job succeeds and annual.json still carries the alert
    assert _publish(store, root, "--as-of", "2017-06") == 0


def test_a_threshold_of_zero_fires_nothing(store, tmp_path):
    root = tmp_path / "root"
    assert _publish(store, root, "--as-of", "2017-06", "--alert-below", "0",
                    "--fail-on-alert") == 0
    assert _alerts(root / "2017" / "2017-06") == []


def test_a_month_outside_the_previous_80_interval_fires(store, tmp_path):
    monthly = dynacor_path("monthly.csv").read_text().splitlines()
    root = tmp_path / "root"
    data = tmp_path / "production.csv"
    data.write_text("\n".join(monthly) + "\n")
    assert _publish(store, root, "--data", str(data), "--as-of", "2017-05",
                    "--alert-below", "0") == 0
    before = json.loads((root / "2017" / "2017-05" / "annual.json").read_text())
    assert before["alerts"] == []
    # June came in at three times its figure: far above what May's publication expected
    june = next(i for i, line in enumerate(monthly) if line.startswith("2017-06,"))
    cells = monthly[june].split(",")
    cells[1] = str(3 * float(cells[1]))
    monthly[june] = ",".join(cells)
    data.write_text("\n".join(monthly) + "\n")
    assert _publish(store, root, "--data", str(data), "--as-of", "2017-06",
                    "--alert-below", "0", "--fail-on-alert") == ALERT_EXIT_CODE
    [alert] = _alerts(root / "2017" / "2017-06")
    assert alert["kind"] == "month_outside_previous_80"
    assert alert["month"] == "2017-06" and alert["previous_as_of"] == "2017-05"
    assert alert["actual_oz"] > alert["previous_p90"]
    # with June's real figure there is nothing to say about the month
    assert _publish(store, tmp_path / "other", "--as-of", "2017-05", "--alert-below", "0") == 0
    assert _publish(store, tmp_path / "other", "--as-of", "2017-06", "--alert-below", "0",
                    "--fail-on-alert") == 0
