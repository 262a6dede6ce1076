"""Running a bulk job: partitions of whole series shipped to the serial loop, joblib
processes or a dask cluster; the pooled model's windows sampled by the tasks and fitted once;
rows gathered in input order."""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from forecast.bulk.partitions import Partition, load, series_hash
from forecast.bulk.series import (
    FAILURE_COLUMNS,
    OUTPUT_COLUMNS,
    BulkConfig,
    forecast_chunk,
    history_frame,
)
from models.core.columns import TARGET
from models.core.errors import ModelDeclined, UsageError
from models.zoo.pooled import PooledWindows, WindowSample

log = logging.getLogger("forecast.bulk")

T = TypeVar("T")


@dataclass
class BulkResult:
    """Forecast rows (``OUTPUT_COLUMNS``) and failure rows (``FAILURE_COLUMNS``)."""

    forecasts: pd.DataFrame
    failures: pd.DataFrame


class Backend:
    """Where tasks run: ``serial``, ``processes`` (joblib, ``workers`` processes) or ``dask``
    (a LocalCluster of ``workers`` processes, or the cluster at ``scheduler``).

    Use it as a context manager: a dask client (and a local cluster) is opened on first use
    and serves every step of the job, then closed.
    """

    def __init__(self, name: str = "serial", workers: int = 1, scheduler: str | None = None):
        if name not in ("serial", "processes", "dask"):
            raise UsageError(f"expected serial, processes or dask, found {name!r}",
                             option="backend")
        self.name, self.requested_workers, self.scheduler = name, workers, scheduler
        self._client: Any = None
        self._cluster: Any = None
        self._cluster_workers: int | None = None

    @property
    def workers(self) -> int:
        """Workers the tasks run on: ``--workers`` here, or the size of the cluster at
        ``scheduler`` (asked once, when the job is planned), which ``--workers`` does not
        set. Used for the chunk size, the log and ``run.workers`` of a folder output."""
        if self.name != "dask" or self.scheduler is None:
            return self.requested_workers
        if self._cluster_workers is None:
            info = self.client().scheduler_info()
            n = int(info.get("n_workers", len(info.get("workers", {}))))
            # A cluster whose workers have not joined yet still runs the tasks once one
            # does; one is the honest floor for the chunking.
            self._cluster_workers = max(n, 1)
        return self._cluster_workers

    @property
    def local_jobs(self) -> int:
        """Processes this machine may use for work done in the driver (the pooled fit): a
        remote cluster's workers are not the driver's."""
        return self.requested_workers if self.name != "serial" else 1

    def client(self) -> Any:
        """The job's ``distributed.Client`` (opened on first use).

        Raises:
            UsageError: the scheduler cannot be reached (option ``scheduler``).
        """
        if self._client is None:
            from distributed import Client, LocalCluster

            try:
                if self.scheduler is None:
                    self._cluster = LocalCluster(n_workers=self.requested_workers, threads_per_worker=1,
                                                 processes=True, dashboard_address=None)
                self._client = Client(self._cluster or self.scheduler)
            except OSError as exc:
                self.close()
                raise UsageError(f"cannot reach dask scheduler {self.scheduler!r}: {exc}",
                                 option="scheduler") from None
        return self._client

    def close(self) -> None:
        """Close the dask client and local cluster, if any."""
        for thing in (self._client, self._cluster):
            if thing is not None:
                thing.close()
        self._client = self._cluster = None

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the pooled model ----------------------------------------------------------------------


def _panel(frame: pd.DataFrame) -> tuple[list[str], list[np.ndarray]]:
    ids, panel = [], []
    for sid, rows in frame.groupby("series_id", sort=False):
        ids.append(str(sid))
        panel.append(history_frame(rows, [])[TARGET].to_numpy(dtype=float))
    return ids, panel


def pooled_spec(config: BulkConfig) -> PooledWindows | None:
    """The job's unfitted pooled model, or None unless ``config.model`` is ``auto`` and
    ``config.pooled``."""
    if config.model != "auto" or not config.pooled:
        return None
    return PooledWindows(horizon=config.horizon, season_length=config.season_length,
                         min_series=config.pooled_min_series, seed=config.seed)


def sample_partition(part: Partition, model: PooledWindows) -> WindowSample:
    """The pooled model's candidate windows from one partition's series (runs on a worker)."""
    frame, _ = load(part)
    ids, panel = _panel(frame)
    return model.sample(series_hash(pd.Series(ids, dtype=object)), panel)


def fit_pooled(partitions: list[Partition], config: BulkConfig, backend: Backend, *,
               progress: Callable[[int], None] | None = None) -> PooledWindows | None:
    """The pooled model fitted on the windows the tasks sample, or None.

    None unless ``config.model`` is ``auto`` and ``config.pooled``; None too, with the reason
    logged, when fewer than ``config.pooled_min_series`` series are long enough. Each task
    sends its lowest-priority windows (at most ``max_windows``); the driver keeps the
    lowest of all as they arrive, so it never holds more than twice that many.
    """
    model = pooled_spec(config)
    if model is None:
        return None
    log.info("bulk: fitting the pooled model on windows sampled from the job's series")
    merged = WindowSample.empty(model.input_months, model.horizon)

    def take(sample: WindowSample) -> None:
        nonlocal merged
        merged = merged.merge(sample, model.max_windows)

    execute(sample_partition, ((p, model) for p in partitions), backend, tick=take,
            keep=False)
    try:
        model.fit_sample(merged, n_jobs=backend.local_jobs, progress=progress)
    except ModelDeclined as exc:
        log.info("bulk: auto without the pooled model: %s", exc)
        return None
    log.info("bulk: pooled model fitted on %d windows of %d series", model.n_windows_,
             model.n_series_)
    return model


def pooled_points(frame: pd.DataFrame, model: PooledWindows | None
                  ) -> dict[str, np.ndarray]:
    """The fitted pooled model's forecasts of the frame's series, by series id (a series it
    cannot describe, see ``models.zoo.pooled.describe``, has no entry)."""
    if model is None:
        return {}
    ids, panel = _panel(frame)
    return {sid: p for sid, p in zip(ids, model.predict_panel(panel), strict=True)
            if p is not None}


@dataclass(frozen=True)
class SharedFile:
    """A fitted model saved once (``joblib.dump``) for local worker processes, which load it
    once each instead of receiving a copy with every task."""

    path: str


@functools.lru_cache(maxsize=2)
def _load_shared(path: str) -> PooledWindows:
    import joblib

    return joblib.load(path)


@contextlib.contextmanager
def shared(model: PooledWindows | None, backend: Backend
           ) -> Iterator[PooledWindows | SharedFile | None]:
    """``model`` as the tasks should receive it: itself (serial; dask scatters it once), or
    a ``SharedFile`` for local processes, removed afterwards."""
    if model is None or backend.name != "processes":
        yield model
        return
    import joblib

    with tempfile.TemporaryDirectory(prefix="orecast-pooled-") as tmp:
        path = str(Path(tmp) / "pooled.joblib")
        joblib.dump(model, path)
        yield SharedFile(path)


def forecast_partition(part: Partition, config: BulkConfig,
                       pooled: PooledWindows | SharedFile | None
                       ) -> tuple[pd.DataFrame, list[dict]]:
    """Read one partition and forecast its series (runs on a worker); ``pooled`` is the
    fitted pooled model, a ``SharedFile`` of it, or None."""
    from threadpoolctl import threadpool_limits

    frame, exog = load(part)
    if isinstance(pooled, SharedFile):
        pooled = _load_shared(pooled.path)
    # One OpenMP thread, as for the forecasts: the workers are the parallelism, and the
    # boosting's thread pool would start for every small batch of series.
    with threadpool_limits(1):
        points = pooled_points(frame, pooled)
    return forecast_chunk(frame, exog, config, points)


# -- partitions of a frame held by the driver ----------------------------------------------


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


def frame_partitions(frame: pd.DataFrame, exog: list[str], workers: int,
                     chunk_size: int | None) -> list[Partition]:
    """The job's partitions when the driver holds the rows: ``chunks_of`` at ``chunk_size``
    (default ``default_chunk_size``)."""
    n_series = int(frame["series_id"].nunique())
    size = chunk_size or default_chunk_size(n_series, workers)
    return [Partition(i, frame=c, exog=tuple(exog))
            for i, c in enumerate(chunks_of(frame, size))]


# -- running tasks -------------------------------------------------------------------------


def execute(fn: Callable[..., T], tasks: Iterable[tuple], backend: Backend, *,
            tick: Callable[[T], None], keep: bool = True) -> list[T]:
    """``fn(*task)`` for every task on the backend.

    Args:
        fn: a module-level function (it is pickled to the workers).
        tasks: argument tuples.
        tick: called with each result as it arrives.
        keep: return the results in task order; False keeps none (``tick`` has seen them).
    """
    results: list[T] = []

    def take(res: T) -> None:
        tick(res)
        if keep:
            results.append(res)

    if backend.name == "serial":
        for task in tasks:
            take(fn(*task))
    elif backend.name == "processes":
        from joblib import Parallel, delayed

        par = Parallel(n_jobs=backend.workers, return_as="generator")
        for res in par(delayed(fn)(*task) for task in tasks):
            take(res)
    else:
        return _run_dask(fn, list(tasks), backend, tick, keep)
    return results


def run_partitions(partitions: list[Partition], config: BulkConfig, backend: Backend, *,
                   progress: Callable[[int], None] | None = None,
                   pooled_progress: Callable[[int], None] | None = None) -> BulkResult:
    """Forecast every series of the partitions; rows gathered in the driver.

    Args:
        partitions: the job's work units (``frame_partitions`` or
            ``forecast.bulk.partitions.file_partitions``).
        config: model, horizon, paths and seed.
        backend: where the tasks run.
        progress: called with the number of series finished after each partition.
        pooled_progress: called with 1 after each of the pooled model's ``config.horizon``
            month-ahead fits (``auto`` with ``config.pooled`` only).
    Returns:
        BulkResult with rows in partition order, then order of series, horizon ascending.
    """
    pooled = fit_pooled(partitions, config, backend, progress=pooled_progress)
    count = progress or (lambda n: None)
    with shared(pooled, backend) as model:
        results = execute(forecast_partition, ((p, config, model) for p in partitions),
                          backend, tick=lambda res: count(int(res[0]["series_id"].nunique())))
    forecasts = pd.concat([r[0] for r in results], ignore_index=True) if results else \
        pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    failures = pd.DataFrame([f for r in results for f in r[1]], columns=list(FAILURE_COLUMNS))
    return BulkResult(forecasts, failures)


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
        backend, workers, scheduler: where the tasks run (``Backend``).
        chunk_size: series per chunk (default ``default_chunk_size``).
        progress, pooled_progress: as ``run_partitions``.
    Returns:
        BulkResult with rows in input order of series, horizon ascending.
    """
    with Backend(backend, workers, scheduler) as where:
        return run_partitions(frame_partitions(frame, exog, workers, chunk_size), config,
                              where, progress=progress, pooled_progress=pooled_progress)


def _run_dask(fn: Callable[..., T], tasks: list[tuple], backend: Backend,
              tick: Callable[[T], None], keep: bool) -> list[T]:
    from distributed import as_completed

    client = backend.client()
    # Arguments shared by every task (the pooled model) travel once.
    shared = {id(a): client.scatter(a, broadcast=True) for a in _shared_args(tasks)}
    futures = [client.submit(fn, *[shared.get(id(a), a) for a in task], pure=False)
               for task in tasks]
    position = {f.key: i for i, f in enumerate(futures)}
    results: list = [None] * len(futures) if keep else []
    for fut in as_completed(futures):
        res = fut.result()
        tick(res)
        if keep:
            results[position[fut.key]] = res
        fut.release()
    for f in shared.values():
        f.release()
    return results


def _shared_args(tasks: list[tuple]) -> list[Any]:
    """Objects passed to more than one task that are worth sending once (fitted models)."""
    seen: dict[int, Any] = {}
    for task in tasks:
        for a in task:
            if isinstance(a, PooledWindows):
                seen[id(a)] = a
    return list(seen.values())
