"""Structured job logging: one ``key=value`` line per step, with the job's context and timing.

A scheduled job is read from its log by people and by log search, so every step logs one
line such as ``step=forecast status=ok ms=412 as_of=2017-06 model_version=3``. Context
fields (as-of, model version, ...) are set once on the ``JobLog`` and repeated on every
line, so any single line says which publication it belongs to.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any


def format_fields(fields: dict[str, Any]) -> str:
    """``key=value`` pairs separated by spaces; values with spaces or quotes are quoted.

    None values are left out, floats are written with up to 6 significant digits.
    """
    parts = []
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, float):
            text = f"{value:.6g}"
        else:
            text = str(value)
        if text == "" or any(c in text for c in ' "=\n\t'):
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


class JobLog:
    """Logs the steps of one job run on ``logger``, each line carrying the context fields.

    Args:
        logger: where the lines go (the CLI sends logging to stderr).
        context: fields repeated on every line (e.g. ``job="publish"``).
    """

    def __init__(self, logger: logging.Logger, **context: Any):
        self.logger = logger
        self.context: dict[str, Any] = dict(context)

    def bind(self, **fields: Any) -> None:
        """Add or replace context fields (e.g. the model version once it is resolved)."""
        self.context.update(fields)

    def event(self, step: str, level: int = logging.INFO, **fields: Any) -> None:
        """Log one line for ``step`` with ``fields`` and the context."""
        self.logger.log(level, "%s", format_fields({"step": step, **fields, **self.context}))

    @contextlib.contextmanager
    def step(self, name: str, **fields: Any) -> Iterator[dict[str, Any]]:
        """Time the block and log one line when it ends: ``status=ok`` or ``status=failed``.

        The yielded dict may be filled inside the block with fields for the line.
        Durations are wall-clock milliseconds (``ms``).
        """
        extra: dict[str, Any] = dict(fields)
        start = time.perf_counter()
        try:
            yield extra
        except BaseException as exc:
            ms = round((time.perf_counter() - start) * 1000)
            self.event(name, logging.WARNING, status="failed", ms=ms,
                       error=type(exc).__name__, **extra)
            raise
        ms = round((time.perf_counter() - start) * 1000)
        self.event(name, status="ok", ms=ms, **extra)
