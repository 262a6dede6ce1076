"""Shared fixtures: the embedded real dataset and synthetic plants."""

from __future__ import annotations

import os

import matplotlib
import pytest

matplotlib.use("Agg")
# Tests never talk to a tracking server unless they start one themselves.
os.environ.pop("MLFLOW_TRACKING_URI", None)


@pytest.fixture(scope="session")
def dynacor():
    """The embedded Dynacor dataset (real monthly figures 2016-2017, periods, guidance)."""
    from models.data.datasets import dynacor as load

    return load()


@pytest.fixture(scope="session")
def plant():
    """A synthetic 300 tpd plant, 10 years of months from 2010-01 (seed 7)."""
    from models.simulator.plant import simulate_plant

    return simulate_plant(120, seed=7)



# -- xdist: the slowest modules first ---------------------------------------------------------
#: ``make test`` runs ``--dist loadscope``: each module (each class, in tests/test_readme.py)
#: goes whole to one worker, so module-scoped state (a started ``mlflow server`` that tests
#: kill, restart or break; a trained job; a 24-month publication soak) is built once, not once
#: per worker, and the tests that stop or break it run after the others on the same server.
#: (``--dist loadgroup`` would do it per ``xdist_group`` mark, but pytest-xdist 3.8 cannot
#: tag the test ids under pytest 9.2, so it silently distributes as ``load``.)
#: ``--no-loadscope-reorder`` hands the modules out in this order instead of "most tests
#: first": the modules below start first, slowest first (seconds on the project's 2-core
#: machine: BENCHMARKS.md, "Test suite"), so no worker is left with a two-minute module at the
#: end while the other idles. Every other module keeps its place after them.
FIRST = [
    "tests/test_readme.py",
    "tests/faults/test_tracking_faults.py",
    "tests/training/test_calibration.py",
    "tests/test_mlproject.py",
    "tests/training/test_server.py",
    "tests/forecast/test_track_record.py",
    "tests/faults/test_publish_faults.py",
    "tests/faults/test_bad_inputs.py",
    "tests/faults/test_dask_cluster.py",
    "tests/faults/test_bulk_resume.py",
    "tests/forecast/test_publish_atomic.py",
    "tests/faults/test_bulk_faults.py",
    "tests/forecast/test_bulk.py",
    "tests/forecast/test_guidance_advice.py",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(FIRST)}
    root = config.rootpath
    # a stable sort by module: the tests of a module stay together and in their order
    items.sort(key=lambda item: rank.get(item.path.relative_to(root).as_posix(), len(FIRST)))
