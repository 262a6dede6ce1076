"""Bulk forecasting of many monthly series: serially, on local processes or on dask.distributed.

Input is the long many-series format ``series_id, timestamp, value`` (+ optional numeric
exogenous columns, passed to the models by name), CSV or Parquet, gzip allowed. Each series
becomes a production frame (``value`` -> ``gold_oz``, monthly PeriodIndex ``month``; a month
missing between the first and last timestamp is a NaN row) and is forecast by one model of
the zoo (or ``auto``). Values must be non-negative: sample paths are clipped at 0 as for
ounces, so bulk forecasting is for non-negative quantities.

Output, one row per series and month ahead: ``series_id, horizon, timestamp, forecast, p10,
p50, p90``. ``forecast`` is the model's analytic point forecast when it has one
(``point_forecast``), else the mean of its sample paths; p10/p50/p90 always come from the
paths. A series whose model fails gets a fallback (seasonal naive, or naive when even that
cannot be fitted) and a row in ``failures.csv`` next to the output.

With ``auto`` (the default) and at least 100 series long enough, a pooled model
(``models.zoo.pooled``) is first fitted on windows of every series of the job, in this process,
and each series' point forecast becomes 2/3 its members' mean + 1/3 the pooled forecast
(``models.zoo.auto``). A series' forecast then depends on the other series of the job: the same
file gives the same output, a different set of series may move it. ``pooled=False``
(``orecast bulk --no-pooled``) forecasts every series from its own history alone.

Determinism: every series draws its paths from its own seed, a stable hash of (seed,
series_id), and the pooled model is fitted once before any work is shipped, so results do
not depend on the backend, the number of workers or the chunking. Work is shipped in chunks
of series; a chunk returns only its summary rows, never paths.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from forecast.bulk_input import REQUIRED, read_series  # noqa: F401  (re-exported)
from models.core.base import ForecastModel
from models.core.columns import TARGET
from models.core.errors import OutputWriteError, UsageError
from models.core.pipeline import history_for

log = logging.getLogger(__name__)

OUTPUT_COLUMNS = ("series_id", "horizon", "timestamp", "forecast", "p10", "p50", "p90")
FAILURE_COLUMNS = ("series_id", "model", "fallback", "reason")


@dataclass(frozen=True)
class BulkConfig:
    """What to forecast: model name, months ahead, season length, paths and root seed."""

    horizon: int
    model: str = "auto"
    season_length: int = 12
    n_paths: int = 1000
    seed: int = 0
    model_params: dict = field(default_factory=dict)
    #: with ``auto``, combine each series' members with the pooled model of the whole job
    pooled: bool = True
    #: fewest series with a full window for the pooled model to be fitted at all
    pooled_min_series: int = 100


@dataclass
class BulkResult:
    """Forecast rows (``OUTPUT_COLUMNS``) and failure rows (``FAILURE_COLUMNS``)."""

    forecasts: pd.DataFrame
    failures: pd.DataFrame



# -- one series --------------------------------------------------------------------------
def series_seed(seed: int, series_id: str) -> int:
    """A 64-bit seed from (root seed, series id) by BLAKE2b: stable across processes and runs."""
    digest = hashlib.blake2b(f"{seed}\x1f{series_id}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def make_bulk_model(config: BulkConfig, pooled_point: np.ndarray | None = None
                    ) -> ForecastModel:
    """An unfitted zoo model (``auto`` or any other name), given the season length when it
    takes one, and ``auto`` given this series' pooled forecast (shape (horizon,)) when
    there is one.

    Raises:
        UsageError: unknown model name.
    """
    from models.zoo import make_model, model_class
    from models.zoo.auto import Auto

    params = dict(config.model_params)
    if pooled_point is not None and model_class(config.model) is Auto:
        params["pooled_point"] = pooled_point
    return make_model(config.model, season_length=config.season_length, **params)


def history_frame(rows: pd.DataFrame, exog: list[str]) -> pd.DataFrame:
    """One series' rows as a production frame: contiguous monthly index, ``gold_oz`` + exog.

    The frame runs from the first to the last month with an observed value (leading and
    trailing empty months are dropped, so the forecast starts after the last observation);
    months missing in between are NaN rows. A series with no observed value keeps its rows.
    """
    rows = rows.sort_values("month")
    observed = rows["value"].notna().to_numpy()
    if observed.any():
        first, last = np.flatnonzero(observed)[[0, -1]]
        rows = rows.iloc[first:last + 1]
    idx = pd.period_range(rows["month"].iloc[0], rows["month"].iloc[-1], freq="M", name="month")
    frame = pd.DataFrame({TARGET: rows["value"].to_numpy()} |
                         {c: rows[c].to_numpy() for c in exog},
                         index=pd.PeriodIndex(rows["month"], name="month"))
    return frame.reindex(idx)


def point_and_paths(model: ForecastModel, horizon: int, n_paths: int,
                    seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Point forecast (analytic if the model has ``point_forecast``, else the path mean).

    Returns:
        point (horizon,) and paths (n_paths, horizon), same unit as the data, >= 0.
    """
    paths = model.sample_paths(horizon, n_paths, seed)
    if hasattr(model, "point_forecast"):
        point = np.maximum(np.asarray(model.point_forecast(horizon), dtype=float), 0.0)
        if point.shape != (horizon,) or not np.all(np.isfinite(point)):
            raise FloatingPointError(f"{model.name} gave a non-finite point forecast")
    else:
        point = paths.mean(axis=0)
    return point, paths


def _fallback(history: pd.DataFrame, config: BulkConfig, seed: int
              ) -> tuple[str, np.ndarray, np.ndarray]:
    from models.zoo.naive import Naive
    from models.zoo.seasonal_naive import SeasonalNaive

    last_error: Exception | None = None
    for model in (SeasonalNaive(season_length=config.season_length), Naive()):
        try:
            model.fit(history_for(model, history))
            return (model.name, *point_and_paths(model, config.horizon, config.n_paths, seed))
        except Exception as exc:  # noqa: BLE001 - try the next, simpler fallback
            last_error = exc
    raise ValueError(f"no fallback could be fitted: {last_error}")


def forecast_series(series_id: str, history: pd.DataFrame, config: BulkConfig,
                    pooled_point: np.ndarray | None = None
                    ) -> tuple[pd.DataFrame, dict | None]:
    """Forecast one series; on any failure use the fallback and describe the failure.

    ``pooled_point`` is the series' forecast by the job's pooled model (``auto`` only).

    Returns:
        rows (``OUTPUT_COLUMNS``, ``config.horizon`` of them; NaN forecasts when not even
        the naive model fits, e.g. no observed value) and a failure record or None.
    """
    seed = series_seed(config.seed, series_id)
    failure = None
    try:
        model = make_bulk_model(config, pooled_point)
        model.fit(history_for(model, history))
        point, paths = point_and_paths(model, config.horizon, config.n_paths, seed)
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - one bad series must not stop the batch
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
        log.debug("series %s: %s failed (%s); falling back", series_id, config.model, reason)
        try:
            fallback, point, paths = _fallback(history, config, seed)
        except ValueError as exc2:
            fallback, point = "none", np.full(config.horizon, np.nan)
            paths = np.full((1, config.horizon), np.nan)
            reason = f"{reason}; {exc2}"
        failure = {"series_id": series_id, "model": config.model, "fallback": fallback,
                   "reason": reason}
    q = np.quantile(paths, (0.10, 0.50, 0.90), axis=0)
    months = pd.period_range(history.index[-1] + 1, periods=config.horizon, freq="M")
    rows = pd.DataFrame({"series_id": series_id, "horizon": np.arange(1, config.horizon + 1),
                         "timestamp": months.strftime("%Y-%m"), "forecast": point,
                         "p10": q[0], "p50": q[1], "p90": q[2]})
    return rows, failure


def forecast_chunk(chunk: pd.DataFrame, exog: list[str], config: BulkConfig,
                   pooled: dict[str, np.ndarray] | None = None
                   ) -> tuple[pd.DataFrame, list[dict]]:
    """Forecast every series of a chunk (rows of ``read_series`` output, whole series).

    ``pooled`` maps series ids of the chunk to their pooled forecasts (see ``pooled_points``).

    Runs with one BLAS thread: parallelism comes from the workers, and one thread keeps
    the arithmetic identical on every backend.
    """
    from threadpoolctl import threadpool_limits

    out, failures = [], []
    with threadpool_limits(1):
        for sid, rows in chunk.groupby("series_id", sort=False):
            frame, failure = forecast_series(str(sid), history_frame(rows, exog), config,
                                             (pooled or {}).get(str(sid)))
            out.append(frame)
            if failure is not None:
                failures.append(failure)
    return pd.concat(out, ignore_index=True), failures


# -- many series -------------------------------------------------------------------------
def pooled_points(frame: pd.DataFrame, config: BulkConfig) -> dict[str, np.ndarray]:
    """Forecasts of the pooled model fitted on every series of the job, by series id.

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
        model.fit(panel)
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


def run_bulk(frame: pd.DataFrame, exog: list[str], config: BulkConfig, *,
             backend: str = "serial", workers: int = 1, scheduler: str | None = None,
             chunk_size: int | None = None,
             progress: Callable[[int], None] | None = None) -> BulkResult:
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
    Returns:
        BulkResult with rows in input order of series, horizon ascending.
    """
    if backend not in ("serial", "processes", "dask"):
        raise UsageError(f"--backend: expected serial, processes or dask, found {backend!r}")
    n_series = int(frame["series_id"].nunique())
    size = chunk_size or default_chunk_size(n_series, workers)
    # Fitted once, here, on the whole job: every backend hands the workers the same numbers.
    pooled = pooled_points(frame, config)
    tasks = ((c, exog, config, {str(s): pooled[str(s)] for s in c["series_id"].unique()
                                if str(s) in pooled})
             for c in chunks_of(frame, size))
    tick = progress or (lambda n: None)
    results: list[tuple[pd.DataFrame, list[dict]]]
    if backend == "serial":
        results = []
        for task in tasks:
            results.append(forecast_chunk(*task))
            tick(int(task[0]["series_id"].nunique()))
    elif backend == "processes":
        from joblib import Parallel, delayed

        results = []
        par = Parallel(n_jobs=workers, return_as="generator")
        for res in par(delayed(forecast_chunk)(*task) for task in tasks):
            results.append(res)
            tick(int(res[0]["series_id"].nunique()))
    else:
        results = _run_dask(list(tasks), workers, scheduler, tick)
    forecasts = pd.concat([r[0] for r in results], ignore_index=True) if results else \
        pd.DataFrame(columns=list(OUTPUT_COLUMNS))
    failures = pd.DataFrame([f for r in results for f in r[1]], columns=list(FAILURE_COLUMNS))
    return BulkResult(forecasts, failures)


def _run_dask(tasks: list[tuple], workers: int, scheduler: str | None,
              tick: Callable[[int], None]) -> list[tuple[pd.DataFrame, list[dict]]]:
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None)
    try:
        with Client(cluster if cluster is not None else scheduler) as client:
            futures = [client.submit(forecast_chunk, *task, pure=False) for task in tasks]
            position = {f.key: i for i, f in enumerate(futures)}
            results: list = [None] * len(futures)
            for fut in as_completed(futures):
                res = fut.result()
                results[position[fut.key]] = res
                tick(int(res[0]["series_id"].nunique()))
                fut.release()
            return results
    except OSError as exc:
        raise UsageError(f"--scheduler: cannot reach dask scheduler {scheduler!r}: "
                         f"{exc}") from None
    finally:
        if cluster is not None:
            cluster.close()


# -- writing -----------------------------------------------------------------------------
def _atomic_write(df: pd.DataFrame, path: Path) -> None:
    name = path.name.lower()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        if name.endswith((".parquet", ".pq")):
            df.to_parquet(tmp, index=False)
        elif name.endswith(".gz"):
            # No file name and mtime 0 in the gzip header: same rows, same bytes.
            with open(tmp, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh,
                                                      mtime=0) as gz:
                gz.write(df.to_csv(index=False).encode("utf-8"))
        else:
            df.to_csv(tmp, index=False)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputWriteError(f"{path}: could not write the output ({exc.strerror or exc}); "
                               f"any previous file there is intact") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def output_paths(output: str | os.PathLike[str]) -> tuple[Path, Path]:
    """The forecast file and the ``failures.csv`` beside it, checked before any work.

    Raises:
        UsageError: not a .csv/.csv.gz/.parquet name, no such folder, or a name that is the
            failures file's own (the failures would overwrite the forecasts).
    """
    out = Path(output)
    if not out.name.lower().endswith((".csv", ".csv.gz", ".parquet", ".pq")):
        raise UsageError(f"--output: expected a .csv, .csv.gz or .parquet file, found {out}")
    if not out.parent.is_dir():
        raise UsageError(f"--output: folder {out.parent} does not exist")
    failures = out.parent / "failures.csv"
    if out.name == failures.name:
        raise UsageError(f"--output: {out} is the name of the failures file written beside "
                         f"the forecasts; expected another name")
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
    _atomic_write(result.forecasts, out)
    _atomic_write(result.failures, failures)
    return out, failures
