"""Why the forecast moved: the parts of the change in the annual P50 since the previous
publication add up to it to the ounce, in the three cases that matter: a past month
revised, a new model version, and both with new actuals."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from forecast.cli import main
from forecast.publish.revision import PARTS
from models.data.datasets import dynacor_path

N_PATHS = "300"
MARCH_OLD, MARCH_NEW = 5184.0, 5484.0  # the embedded 2017-03 figure and a revision of it


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store with two versions of ``orecast-rev``: 1 = naive, 2 = drift."""
    from training.train import TrainConfig, train

    uri = f"sqlite:///{tmp_path_factory.mktemp('rev') / 'mlflow.db'}"
    for model in ("naive", "drift"):
        train(models=[model], years=[2017], tracking=uri,
              config=TrainConfig(n_paths=50, figures=False, register_as="orecast-rev"))
    return uri


def _data(folder: Path, march: float) -> Path:
    """The embedded monthly figures as a user's file, with 2017-03 set to ``march`` oz."""
    lines = dynacor_path("monthly.csv").read_text().splitlines()
    out = [",".join([c[0], f"{march}", *c[2:]]) if c[0] == "2017-03" else line
           for line, c in ((line, line.split(",")) for line in lines)]
    path = folder / f"production-{march:.0f}.csv"
    path.write_text("\n".join(out) + "\n")
    return path


def _publish(store: str, root: Path, data: Path, as_of: str, version: int) -> dict:
    assert main(["-q", "publish", "--tracking-uri", store, "--out", str(root), "--data",
                 str(data), "--as-of", as_of, "--n-paths", N_PATHS, "--alert-below", "0",
                 "--model", f"models:/orecast-rev/{version}"]) == 0
    return json.loads((root / "2017" / as_of / "annual.json").read_text())


def _adds_up(rev: dict) -> None:
    assert rev["change"] == pytest.approx(rev["p50"] - rev["previous_p50"], abs=0.05)
    assert sum(rev[p] for p in PARTS) == pytest.approx(rev["change"], abs=1e-6)


def test_a_revised_past_month_is_its_own_part_and_a_warning(store, tmp_path, caplog):
    root = tmp_path / "root"
    first = _publish(store, root, _data(tmp_path, MARCH_OLD), "2017-05", 1)
    assert first["revision"] is None  # nothing before it
    with caplog.at_level(logging.WARNING, logger="forecast.publish.revision"):
        now = _publish(store, root, _data(tmp_path, MARCH_NEW), "2017-06", 1)
    rev = now["revision"]
    _adds_up(rev)
    assert rev["revisions"] == pytest.approx(MARCH_NEW - MARCH_OLD)
    assert rev["revised_months"] == [{"month": "2017-03", "old_oz": MARCH_OLD,
                                      "new_oz": MARCH_NEW}]
    assert rev["model_version"] == 0 and rev["model_part"] == "same version"
    assert any("2017-03 was 5,184 oz" in r.getMessage() and "now 5,484 oz" in r.getMessage()
               for r in caplog.records)
    report = (root / "latest" / "report.html").read_text()
    assert 'id="revision"' in report and "2017-03 5,184 to 5,484 oz" in report


def test_a_new_model_version_is_measured_on_todays_data(store, tmp_path):
    data = _data(tmp_path, MARCH_OLD)
    _publish(store, tmp_path / "root", data, "2017-05", 1)
    rev = _publish(store, tmp_path / "root", data, "2017-06", 2)["revision"]
    _adds_up(rev)
    assert rev["model_part"] == "compared" and (rev["previous_version"], rev["version"]) == (
        "1", "2")
    # the previous version run on the same data and as-of, published on its own
    old_today = _publish(store, tmp_path / "other", data, "2017-06", 1)["p50"]
    assert rev["model_version"] == pytest.approx(rev["p50"] - old_today, abs=0.05)
    assert rev["revisions"] == 0 and rev["revised_months"] == []


def test_revision_model_and_new_actuals_together_add_up_to_the_ounce(store, tmp_path):
    root = tmp_path / "root"
    before = _publish(store, root, _data(tmp_path, MARCH_OLD), "2017-04", 1)
    rev = _publish(store, root, _data(tmp_path, MARCH_NEW), "2017-06", 2)["revision"]
    _adds_up(rev)
    assert rev["previous_as_of"] == "2017-04" and rev["previous_p50"] == before["p50"]
    assert rev["revisions"] == pytest.approx(MARCH_NEW - MARCH_OLD)
    assert rev["model_part"] == "compared"
    # May and June arrived: their figures against the April publication's medians for them
    old = {r.split(",")[0]: float(r.split(",")[4])
           for r in (root / "2017" / "2017-04" / "monthly.csv").read_text().splitlines()[1:]}
    actual = {"2017-05": 6203.0, "2017-06": 6895.0}
    assert rev["new_actuals"] == pytest.approx(
        round(sum(actual[m] - old[m] for m in actual), 1), abs=0.05)
