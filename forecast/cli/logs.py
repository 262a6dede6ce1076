"""Logging of the command line: one format for orecast's, MLflow's and dask's records."""

from __future__ import annotations

import logging
import os
import sys

#: loggers of libraries kept at WARNING unless orecast itself logs at DEBUG
NOISY_LOGGERS = ("matplotlib", "PIL", "urllib3", "alembic", "mlflow", "distributed")


def configure_logging(*, verbose: bool = False, quiet: bool = False) -> None:
    """Log to stderr at DEBUG (``verbose``), WARNING (``quiet``) or ``ORECAST_LOG_LEVEL``
    (default INFO), in one format."""
    # MLflow's own log format (and level) would otherwise sit beside ours: its records go
    # through the root logger, at the level set here.
    os.environ.setdefault("MLFLOW_CONFIGURE_LOGGING", "false")
    default = os.environ.get("ORECAST_LOG_LEVEL", "INFO").upper()
    level = (logging.DEBUG if verbose else logging.WARNING if quiet
             else getattr(logging, default, logging.INFO))
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def show_progress() -> bool:
    """Progress bars at the INFO level and below, off with ``-q`` or a quieter
    ``ORECAST_LOG_LEVEL``."""
    return logging.getLogger().getEffectiveLevel() <= logging.INFO
