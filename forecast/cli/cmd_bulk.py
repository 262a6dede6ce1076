"""``orecast bulk``: forecast many series, on one machine or a dask cluster (the job itself is
``forecast.bulk.job``)."""

from __future__ import annotations

import logging

import typer

from forecast.bulk import BulkConfig
from forecast.cli.logs import show_progress
from forecast.cli.options import (
    MAX_HORIZON,
    MAX_PATHS,
    MAX_SEASON_LENGTH,
    MAX_SEED,
    MIN_PATHS,
)
from models.core.errors import UsageError

log = logging.getLogger(__name__)

#: exit code when at least one series fell back to a simpler model
EXIT_FALLBACK = 4


def _quiet_dask() -> None:
    # distributed configures its own child loggers at INFO (scheduler, nanny, ...); a bulk
    # run reports its own progress, so their start/stop chatter is kept to warnings.
    import distributed  # noqa: F401 - importing applies distributed's logging config

    for name in list(logging.root.manager.loggerDict):
        if name == "distributed" or name.startswith("distributed."):
            logging.getLogger(name).setLevel(logging.WARNING)


def bulk(
    input: str = typer.Option(..., "--input", help="Long file with series_id, timestamp, "
                              "value (+ numeric exogenous columns): .csv, .csv.gz or "
                              ".parquet; or a folder of .parquet files, or a glob of "
                              "files (quoted: 'data/*.parquet'), read by the workers."),
    horizon: int = typer.Option(..., "--horizon", min=1, max=MAX_HORIZON,
                                help="Months to forecast."),
    output: str = typer.Option(..., "--output", help="Forecast file (.csv, .csv.gz or "
                                ".parquet; the series that fell back are written beside it, "
                                "in its name + .failures.csv), or a "
                                "folder (DIR/: Parquet parts and a manifest, written atomically, "
                                "resumed when a run with the same arguments was "
                                "interrupted)."),
    model: str = typer.Option("auto", "--model", help="auto, or a zoo model (ets, theta, "
                              "seasonal_naive, ...)."),
    season_length: int = typer.Option(12, "--season-length", min=1, max=MAX_SEASON_LENGTH,
                                      help="Season length in months."),
    workers: int = typer.Option(1, "--workers", min=1, help="Worker processes; above 1 a "
                                "dask LocalCluster is started unless --backend processes."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Attach to a running "
                                         "dask scheduler, tcp://HOST:PORT."),
    backend: str | None = typer.Option(None, "--backend", help="serial, processes (joblib) "
                                       "or dask; default: dask with --scheduler or "
                                       "--workers > 1, else serial."),
    n_paths: int = typer.Option(1000, "--n-paths", min=MIN_PATHS,
                                max=MAX_PATHS, help="Sample paths per series."),
    seed: int = typer.Option(0, "--seed", min=0, max=MAX_SEED, help="Root seed; each series derives its own."),
    chunk_size: int | None = typer.Option(None, "--chunk-size", min=1,
                                          help="Series per work unit when the driver reads "
                                          "one file (default: automatic); a folder or "
                                          "glob has one unit per file or hash bucket."),
    pooled: bool = typer.Option(True, "--pooled/--no-pooled", help="With auto: also use "
                                "the pooled model fitted on all series of the job (at "
                                "least 100); --no-pooled forecasts each series alone."),
    progress: bool | None = typer.Option(None, "--progress/--no-progress",
                                         help="Progress bars on stderr (default: when it is "
                                         "a terminal, at the INFO level)."),
) -> None:
    """Forecast every series of a long file (or a folder or glob of them); one row per
    series and month ahead, in one file or a folder of Parquet parts.

    Output columns: series_id, horizon, timestamp, forecast, p10, p50, p90. Values must be
    non-negative (forecasts are clipped at 0). The same --seed gives the same file on every
    backend. Exit codes: 0 all series forecast by the chosen model; 4 some series fell back
    to seasonal naive (or naive) and are listed in OUTPUT.failures.csv (the output's name,
    then .failures.csv) with the reason; 2 bad input (one line per problem, file:row:
    field: expected ...); 75 another job is writing the same output folder.
    """
    if backend is None:
        backend = "dask" if scheduler or workers > 1 else "serial"
    if scheduler and backend != "dask":
        raise UsageError("--scheduler: only with --backend dask")
    if backend == "dask" and not log.isEnabledFor(logging.DEBUG):
        _quiet_dask()
    from forecast.bulk.engine import Backend
    from forecast.bulk.job import run_job

    config = BulkConfig(horizon=horizon, model=model, season_length=season_length,
                        n_paths=n_paths, seed=seed, pooled=pooled)
    with Backend(backend, workers, scheduler) as where:
        done = run_job(input, output, config, where, chunk_size=chunk_size,
                       progress=show_progress() if progress is None else progress)
    log.info("bulk: %d series, %d fell back, in %.1f s (%.1f series/s); wrote %s",
             done.series, done.fallbacks, done.wall_s, done.series_per_s, done.written)
    if done.fallbacks:
        raise typer.Exit(code=EXIT_FALLBACK)
