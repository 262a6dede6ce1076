"""Writing a bulk job's forecasts and its failure record (``<name>.failures.csv``), each
atomically."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from pathlib import Path

from forecast.bulk.engine import BulkResult
from forecast.files import (
    check_output_target,
    refuse_input,
    table_format,
    write_file_atomically,
    write_table,
)
from models.core.errors import UsageError

log = logging.getLogger("forecast.bulk")

#: what ends the name of a job's failure record: ``fc.csv`` -> ``fc.csv.failures.csv``
FAILURES_SUFFIX = ".failures.csv"
_TABLE_SUFFIXES = (".csv.gz", ".csv", ".parquet", ".pq")


def failures_path(out: Path) -> Path:
    """The failure record of the forecast file ``out``: its whole name followed by
    ``.failures.csv`` (``fc.parquet`` -> ``fc.parquet.failures.csv``), beside it.

    Named after its output, whole, so two jobs writing two outputs into one folder (even
    ``fc.csv`` and ``fc.csv.gz``) each keep their own record (one shared ``failures.csv``
    was overwritten by the second job).
    """
    return out.with_name(out.name + FAILURES_SUFFIX)


def _same_file(a: Path, b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet): not the same file
        return False


def output_paths(output: str | os.PathLike[str],
                 inputs: Iterable[str | os.PathLike[str]] = ()) -> tuple[Path, Path]:
    """The forecast file and its failure record beside it, checked before any work.

    Args:
        output: the forecast file (.csv, .csv.gz, .parquet).
        inputs: the job's input files, none of which an output may replace (the inputs the
            command has read are refused as well, see ``forecast.files.refuse_input``).
    Raises:
        UsageError: not a .csv/.csv.gz/.parquet name, a name too long for the file system,
            no such folder, a name reserved for failure records, or an input of the job.
    """
    out = check_output_target(output, "output")
    if not out.name.lower().endswith(_TABLE_SUFFIXES):
        raise UsageError(f"expected a .csv, .csv.gz or .parquet file, found {out}",
                         option="output")
    if not out.parent.is_dir():
        raise UsageError(f"folder {out.parent} does not exist", option="output")
    failures = failures_path(out)
    if out.name == "failures.csv" or out.name.endswith(FAILURES_SUFFIX):
        # failures.csv was the shared record of earlier versions.
        raise UsageError(f"{out} is the name of the failures file of a bulk job; expected "
                         f"another name", option="output")
    for target in (out, failures):
        for source in inputs:
            if _same_file(target, source):
                raise UsageError(f"{target} is the input {source} of this job; expected an "
                                 f"output that replaces none of its inputs", option="output")
        refuse_input(target, "output")
    return out, failures


def write_result(result: BulkResult, output: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write forecasts to ``output`` (.csv, .csv.gz, .parquet) and its failure record
    (``failures_path``) beside it.

    Each file is written to a temporary file in the same folder, then renamed over the
    target, so a reader never sees half a file. The failure record is always written
    (header only when nothing fell back), so a stale one never survives a new run.

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
                              write_table(frame, tmp, table_format(path)), option="output")
    return out, failures
