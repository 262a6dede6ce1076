"""One ``orecast bulk`` job from its arguments: the input planned into partitions, the
forecasts run on the backend, the output written (one file, or a folder of parts), and what
it cost."""

from __future__ import annotations

import contextlib
import logging
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from forecast.bulk.engine import Backend, execute, frame_partitions, run_partitions
from forecast.bulk.output import output_paths, write_result
from forecast.bulk.partitions import (
    Partition,
    file_partitions,
    input_files,
    input_sha256,
    is_partitioned,
    shuffle_folder,
)
from forecast.bulk.parts import check_output_folder, finish, is_folder_output, run_parts
from forecast.bulk.series import BulkConfig, make_bulk_model
from forecast.files import output_lock
from models.data.many_series import read_series

log = logging.getLogger("forecast.bulk")


@dataclass(frozen=True)
class JobSummary:
    """What a bulk job did: series forecast, how many fell back, wall seconds, what it wrote."""

    series: int
    fallbacks: int
    wall_s: float
    written: str

    @property
    def series_per_s(self) -> float:
        """Series forecast per wall-clock second."""
        return self.series / max(self.wall_s, 1e-9)


def _plan(input_spec: str, beside: Path, backend: Backend, chunk_size: int | None
          ) -> tuple[list[Partition], list[Path], Path | None, int | None]:
    """(partitions, input files, shuffle folder or None, series count when known)."""
    if is_partitioned(input_spec):
        files = input_files(input_spec)
        shuffle = shuffle_folder(beside, files)
        partitions = file_partitions(files, shuffle, lambda fn, tasks: execute(
            fn, tasks, backend, tick=lambda r: None))
        log.info("bulk: %d input files, %d tasks, backend %s, %d worker(s)", len(files),
                 len(partitions), backend.name, backend.workers)
        return partitions, files, shuffle, None
    frame, exog = read_series(input_spec)
    n_series = int(frame["series_id"].nunique())
    log.info("bulk: %d series, backend %s, %d worker(s)", n_series, backend.name,
             backend.workers)
    return (frame_partitions(frame, exog, backend.workers, chunk_size), [Path(input_spec)],
            None, n_series)


def run_job(input_spec: str, output: str, config: BulkConfig, backend: Backend, *,
            chunk_size: int | None = None, progress: bool = False) -> JobSummary:
    """Forecast every series of ``input_spec`` into ``output``.

    Args:
        input_spec: one CSV/Parquet file, a folder of Parquet files or a glob.
        output: a table file (.csv, .csv.gz, .parquet; ``<name>.failures.csv`` beside it) or a
            folder (a name ending in ``/``, or an existing folder) of parts.
        config: model, horizon, paths, seed.
        backend: where the tasks run (closed by the caller).
        chunk_size: series per task when the driver reads one file (default: automatic).
        progress: progress bars on stderr: over series (over tasks when the workers read
            the files), and over the pooled model's fits.
    Raises:
        UsageError, DataValidationError, OutputWriteError: nothing written at ``output``.
        OutputLockedError: another job is writing the folder ``output`` (exit 75).
    """
    from tqdm import tqdm

    # A name that cannot be written, or an unknown model, is refused before any work.
    out_dir = check_output_folder(output) if is_folder_output(output) else None
    if out_dir is None:
        # The output must not replace an input: the file given, or every file of a folder
        # or glob (read by the workers, so not recorded in this process).
        output_paths(output, input_files(input_spec))
    make_bulk_model(config)
    # One job at a time per output folder: a second job with the same arguments would
    # share the first one's staging folder (exit 75 at once, as publish does).
    lock = (output_lock(out_dir, "output") if out_dir is not None
            else contextlib.nullcontext())
    with lock:
        started = time.perf_counter()
        beside = out_dir.parent if out_dir is not None else Path(output).absolute().parent
        partitions, files, shuffle, n_series = _plan(input_spec, beside, backend, chunk_size)
        try:
            with tqdm(total=config.horizon, unit="month-ahead model", desc="pooled model",
                      leave=False, disable=not (progress and config.model == "auto"
                                                and config.pooled),
                      file=sys.stderr, dynamic_ncols=True) as pooled_bar, \
                    tqdm(total=n_series or len(partitions), unit="series" if n_series else "part",
                         disable=not progress, file=sys.stderr, dynamic_ncols=True,
                         delay=0.1) as bar:
                # Series when the driver knows how many, else the tasks (files or buckets).
                tick = bar.update if n_series else (lambda n: bar.update(1))
                bars = {"progress": tick, "pooled_progress": pooled_bar.update}
                if out_dir is None:
                    result = run_partitions(partitions, config, backend, **bars)
                else:
                    job = run_parts(partitions, config, backend, out_dir, input_spec,
                                    input_sha256(files), **bars)
            if out_dir is None:
                out, failures = write_result(result, output)
                return JobSummary(int(result.forecasts["series_id"].nunique()),
                                  len(result.failures), time.perf_counter() - started,
                                  f"{out} and {failures}")
            totals = job.manifest["totals"]
            done = JobSummary(totals["series"], totals["fallbacks"], time.perf_counter() - started,
                              f"{out_dir}/ ({job.computed + job.reused} parts, {job.reused} kept "
                              f"from an interrupted run)")
            finish(job, out_dir, {"backend": backend.name, "workers": backend.workers,
                                  "wall_s": round(done.wall_s, 3),
                                  "series_per_s": round(done.series_per_s, 3),
                                  "parts_computed": job.computed, "parts_reused": job.reused})
            return done
        finally:
            if shuffle is not None:
                shutil.rmtree(shuffle, ignore_errors=True)
