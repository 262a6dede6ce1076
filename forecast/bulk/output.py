"""Writing a bulk job's forecasts and its ``failures.csv``, each atomically."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from forecast.bulk.engine import BulkResult
from forecast.files import table_format, write_file_atomically, write_table
from models.core.errors import UsageError

log = logging.getLogger("forecast.bulk")


def output_paths(output: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The forecast file and the ``failures.csv`` beside it, checked before any work.

    Raises:
        UsageError: not a .csv/.csv.gz/.parquet name, no such folder, or a name that is the
            failures file's own (the failures would overwrite the forecasts).
    """
    out = Path(output)
    if not out.name.lower().endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        raise UsageError(f"expected a .csv, .csv.gz or .parquet file, found {out}",
                         option="output")
    if not out.parent.is_dir():
        raise UsageError(f"folder {out.parent} does not exist", option="output")
    failures = out.parent / "failures.csv"
    if out.name == failures.name:
        raise UsageError(f"{out} is the name of the failures file written beside "
                         f"the forecasts; expected another name", option="output")
    return out, failures


def write_result(result: BulkResult, output: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write forecasts to ``output`` (.csv, .csv.gz, .parquet) and ``failures.csv`` beside it.

    Each file is written to a temporary file in the same folder, then renamed over the
    target, so a reader never sees half a file. ``failures.csv`` is always written (header
    only when nothing fell back), so a stale one never survives a new run.

    Returns:
        The two paths written.
    """
    out, failures = output_paths(output)
    for target in (out, failures):
        # Temporary files of an earlier run killed while writing this same output.
        for stale in out.parent.glob(f".{target.name}.*.tmp"):
            stale.unlink(missing_ok=True)
            log.info("bulk: removed %s left by an interrupted run", stale.name)
    for frame, path in ((result.forecasts, out), (result.failures, failures)):
        write_file_atomically(path, lambda tmp, frame=frame, path=path:
                              write_table(frame, tmp, table_format(path)))
    return out, failures
