"""One unit per kind of metric: every coverage orecast logs or prints is a percent, as every
APE is (``expected_annual_cover80`` like ``expected_annual_ape``), and the report never
prints a share ("coverage 0.67") beside a percent ("67% of the time")."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest

from forecast.report import _backtest_html
from training.metrics import coverage_pct


def test_coverage_pct_is_the_percent_of_scored_flags():
    assert coverage_pct(np.array([1.0, 0.0, 1.0, np.nan])) == pytest.approx(200 / 3)
    assert coverage_pct([1.0, None, 1.0]) == 100.0
    assert math.isnan(coverage_pct([np.nan]))


def test_report_gives_coverage_in_percent_with_its_count():
    html = _backtest_html({"model": "drift", "months_known": 6, "n_origins": 3.0,
                           "annual_ape": 2.5, "annual_crps": 1500.0, "annual_cover80": 2 / 3,
                           "run_id": "r"}, 6)
    assert "held the actual 67% of the time (2 of 3 origins)" in html
    assert "<dt>actuals inside the 80% range (%)</dt><dd>67</dd>" in html
    assert "0.67" not in html and "coverage" not in html


@pytest.mark.slow
def test_logged_coverages_are_percent_like_ape(tmp_path: Path):
    import mlflow
    from mlflow import MlflowClient

    from training.tracking import tracking_uri
    from training.train import TrainConfig, train

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    with tracking_uri(uri):
        MlflowClient().create_experiment("units", artifact_location=(tmp_path / "a").as_uri())
    job = train(None, models=["naive", "drift"], years=[2016, 2017], tracking=uri,
                config=TrainConfig(experiment="units", n_paths=100, figures=False))
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    parent = client.get_run(job.parent_run_id).data.metrics
    held = job.expectation.iloc[0]
    # the leave-one-year-out table already speaks percent; the logged metric now agrees
    assert parent["expected_annual_cover80"] == pytest.approx(held["cover80"])
    assert 1 < parent["expected_annual_ape"] < 100
    rows = job.backtest.per_origin
    for model in ("naive", "drift"):
        child = client.get_run(job.child_run_ids[model]).data.metrics
        ok = rows.loc[(rows["model"] == model) & (rows["status"] == "ok")]
        share = ok["annual_cover80"].astype(float).mean()
        assert child["mean_annual_cover80"] == pytest.approx(100 * share)
        steps = client.get_metric_history(job.child_run_ids[model], "annual_cover80")
        assert steps and all(0 <= m.value <= 100 for m in steps)
        assert any(m.value > 1 for m in steps)  # not a share
    mv = client.get_model_version("orecast", job.version)
    assert float(mv.tags["expected_annual_cover80"]) == pytest.approx(held["cover80"])
    assert re.fullmatch(r"[0-9.]+", mv.tags["mean_annual_cover80"])
    assert float(mv.tags["mean_annual_cover80"]) > 1
    with tracking_uri(uri):
        assert mlflow.get_experiment_by_name("units") is not None
