"""Running a bulk job: the pooled model fitted once, chunks of whole series shipped to the
serial loop, joblib processes or a dask cluster, rows gathered in input order."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd

from forecast.bulk.series import (
    FAILURE_COLUMNS,
    OUTPUT_COLUMNS,
    BulkConfig,
    forecast_chunk,
    history_frame,
)
from models.core.columns import TARGET
from models.core.errors import UsageError

log = logging.getLogger("forecast.bulk")

T = TypeVar("T")


@dataclass
class BulkResult:
    """Forecast rows (``OUTPUT_COLUMNS``) and failure rows (``FAILURE_COLUMNS``)."""

    forecasts: pd.DataFrame
    failures: pd.DataFrame



# -- one series --------------------------------------------------------------------------


def pooled_points(frame: pd.DataFrame, config: BulkConfig, *, n_jobs: int = 1,
                  progress: Callable[[int], None] | None = None) -> dict[str, np.ndarray]:
    """Forecasts of the pooled model fitted on every series of the job, by series id.

    ``n_jobs`` processes fit its ``config.horizon`` month-ahead models; ``progress`` is
    called with 1 after each.

    Empty unless ``config.model`` is ``auto`` and ``config.pooled``; empty too, with the
    reason logged, when fewer than ``config.pooled_min_series`` series are long enough. A
    series the model cannot describe (see ``models.zoo.pooled.describe``) has no entry and
    keeps the members' combination alone.
    """
    from models.core.errors import ModelDeclined
    from models.zoo.pooled import PooledWindows

    if config.model != "auto" or not config.pooled:
        return {}
    log.info("bulk: fitting the pooled model on the job's series")
    ids, panel = [], []
    for sid, rows in frame.groupby("series_id", sort=False):
        ids.append(str(sid))
        panel.append(history_frame(rows, [])[TARGET].to_numpy(dtype=float))
    model = PooledWindows(horizon=config.horizon, season_length=config.season_length,
                          min_series=config.pooled_min_series, seed=config.seed)
    try:
        model.fit(panel, n_jobs=n_jobs, progress=progress)
    except ModelDeclined as exc:
        log.info("bulk: auto without the pooled model: %s", exc)
        return {}
    points = model.predict_panel(panel)
    out = {sid: p for sid, p in zip(ids, points, strict=True) if p is not None}
    log.info("bulk: pooled model fitted on %d windows of %d series; %d of %d series use it",
             model.n_windows_, model.n_series_, len(out), len(ids))
    return out


def chunks_of(frame: pd.DataFrame, chunk_size: int) -> Iterator[pd.DataFrame]:
    """Successive frames holding ``chunk_size`` whole series each, in order of first appearance."""
    codes, _ = pd.factorize(frame["series_id"], sort=False)
    order = np.argsort(codes, kind="stable")
    codes_sorted = codes[order]
    n_series = int(codes.max()) + 1 if codes.size else 0
    bounds = np.searchsorted(codes_sorted, np.arange(0, n_series + chunk_size, chunk_size))
    for a, b in zip(bounds[:-1], bounds[1:], strict=False):
        if b > a:
            yield frame.iloc[order[a:b]]


def default_chunk_size(n_series: int, workers: int) -> int:
    """About eight chunks per worker, between 1 and 200 series: small overhead, balanced load."""
    return max(1, min(200, math.ceil(n_series / (8 * max(workers, 1)))))


def job_chunks(frame: pd.DataFrame, workers: int, chunk_size: int | None) -> list[pd.DataFrame]:
    """The job's work units: ``chunks_of`` at ``chunk_size`` (default ``default_chunk_size``)."""
    n_series = int(frame["series_id"].nunique())
    return list(chunks_of(frame, chunk_size or default_chunk_size(n_series, workers)))


def pooled_for(chunk: pd.DataFrame, pooled: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The pooled forecasts of the chunk's series (``pooled_points`` entries), by series id."""
    return {str(s): pooled[str(s)] for s in chunk["series_id"].unique() if str(s) in pooled}


def check_backend(backend: str) -> None:
    """Raises UsageError unless ``backend`` is serial, processes or dask."""
    if backend not in ("serial", "processes", "dask"):
        raise UsageError(f"expected serial, processes or dask, found {backend!r}",
                         option="backend")


def execute(fn: Callable[..., T], tasks: Iterable[tuple], *, backend: str, workers: int,
            scheduler: str | None, tick: Callable[[T], None]) -> list[T]:
    """``fn(*task)`` for every task on the backend, results in task order.

    Args:
        fn: a module-level function (it is pickled to the workers).
        tasks: argument tuples.
        backend: ``serial``, ``processes`` (joblib, ``workers`` processes) or ``dask`` (a
            LocalCluster of ``workers`` processes, or the cluster at ``scheduler``).
        tick: called with each result as it arrives (in completion order).
    """
    check_backend(backend)
    results: list[T] = []
    if backend == "serial":
        for task in tasks:
            results.append(fn(*task))
            tick(results[-1])
    elif backend == "processes":
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=workers, return_as="generator")
        for res in par(delayed(fn)(*task) for task in tasks):
            results.append(res)
            tick(res)
    else:
        results = _run_dask(fn, list(tasks), workers, scheduler, tick)
    return results


def run_bulk(frame: pd.DataFrame, exog: list[str], config: BulkConfig, *,
             backend: str = "serial", workers: int = 1, scheduler: str | None = None,
             chunk_size: int | None = None,
             progress: Callable[[int], None] | None = None,
             pooled_progress: Callable[[int], None] | None = None) -> BulkResult:
    """Forecast every series of ``frame`` (as returned by ``read_series``).

    Args:
        frame: long frame ``series_id, month, value`` + ``exog`` columns.
        exog: exogenous column names passed to the models.
        config: model, horizon, paths and seed.
        backend: ``serial``, ``processes`` (joblib, ``workers`` processes) or ``dask``
            (a LocalCluster of ``workers`` processes, or the cluster at ``scheduler``).
        workers: number of worker processes for ``processes`` and a local dask cluster.
        scheduler: address ``tcp://host:port`` of a running dask scheduler.
        chunk_size: series per chunk (default ``default_chunk_size``).
        progress: called with the number of series finished after each chunk.
        pooled_progress: called with 1 after each of the pooled model's ``config.horizon``
            month-ahead fits (``auto`` with ``config.pooled`` only).
    Returns:
        BulkResult with rows in input order of series, horizon ascending.
    """
    check_backend(backend)
    chunks = job_chunks(frame, workers, chunk_size)
    # Fitted once, here, on the whole job: every backend hands the workers the same numbers.
    # ... by ``workers`` local processes (a remote cluster's workers are not the driver's).
    pooled = pooled_points(frame, config, n_jobs=workers if backend != "serial" else 1,
                           progress=pooled_progress)
    tasks = ((c, exog, config, pooled_for(c, pooled)) for c in chunks)
    count = progress or (lambda n: None)
    results = execute(forecast_chunk, tasks, backend=backend, workers=workers,
                      scheduler=scheduler,
                      tick=lambda res: count(int(res[0]["series_id"].nunique())))
    forecasts = pd.concat([r[0] for r in results], ignore_index=True) if results else \
        pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    failures = pd.DataFrame([f for r in results for f in r[1]], columns=list(FAILURE_COLUMNS))
    return BulkResult(forecasts, failures)


def _run_dask(fn: Callable[..., T], tasks: list[tuple], workers: int, scheduler: str | None,
              tick: Callable[[T], None]) -> list[T]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [client.submit(fn, *task, pure=False) for task in tasks]
            position = {f.key: i for i, f in enumerate(futures)}
            results: list = [None] * len(futures)
            for fut in as_completed(futures):
                res = fut.result()
                results[position[fut.key]] = res
                tick(res)
                fut.release()
            return results
    except OSError as exc:
        raise UsageError(f"cannot reach dask scheduler {scheduler!r}: "
                         f"{exc}", option="scheduler") from None
    finally:
        if cluster is not None:
            cluster.close()
