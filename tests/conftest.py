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
