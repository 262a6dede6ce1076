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
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, OnceForData) for f in handler.filters):
            handler.addFilter(OnceForData())
    for noisy in NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


class OnceForData(logging.Filter):
    """Let each note about the data (``models.data`` INFO records) through once per process.

    A command reads the same figures more than once (the file, then the served model's
    ``periods`` param): a note says the same of each copy, only its ``<source>:`` prefix
    differs, so the prefix is left out of what makes two notes the same.
    """

    def __init__(self) -> None:
        super().__init__()
        self._seen: set[tuple[str, str]] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or not record.name.startswith("models.data"):
            return True
        key = (record.name, record.getMessage().split(": ", 1)[-1])
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


def show_progress() -> bool:
    """Progress bars when stderr is a terminal and the level is INFO or below (off with
    ``-q`` or a quieter ``ORECAST_LOG_LEVEL``): a log file or a scheduler's capture gets
    no carriage-return redraws."""
    return sys.stderr.isatty() and logging.getLogger().getEffectiveLevel() <= logging.INFO
