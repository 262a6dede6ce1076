"""``orecast bulk --scheduler`` counts the workers of the cluster it attaches to: the log
line and the manifest's ``run.workers`` give the cluster's size, not the ``--workers``
default (1), and the chunk size is planned for that many workers."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest

from forecast.bulk.engine import Backend
from forecast.cli import main
from tests.faults import write_series_csv


@pytest.fixture(scope="module")
def scheduler():
    """The address of a two-worker dask cluster (threads in this process: fast to start)."""
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        yield cluster.scheduler_address


def test_scheduler_backend_reports_the_clusters_workers(scheduler):
    with Backend("dask", 1, scheduler) as where:
        assert where.workers == 2
        assert where.local_jobs == 1  # the driver's own processes stay what was asked


def test_bulk_on_a_two_worker_cluster_logs_and_records_two_workers(scheduler, tmp_path: Path,
                                                                  caplog):
    data = write_series_csv(tmp_path / "series.csv", 6, 36, seed=3)
    out = tmp_path / "out"
    with caplog.at_level(logging.INFO, logger="forecast.bulk"):
        code = main(["bulk", "--input", str(data), "--output", f"{out}/", "--horizon", "3",
                     "--model", "naive", "--n-paths", "100", "--scheduler", scheduler])
    assert code == 0
    planned = [r.getMessage() for r in caplog.records if " worker" in r.getMessage()]
    assert planned and all(re.search(r"\b2 workers?\b", m) for m in planned), planned
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["run"]["workers"] == 2
