"""Forecasting one series of a bulk job, and one chunk of series: the model, its point and
quantiles, and the fallback ladder when it fails (``models.zoo.fallback_ladder``)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from models.core.base import ForecastModel
from models.core.columns import TARGET
from models.core.errors import UsageError
from models.core.pipeline import history_for
from models.zoo import fallback_ladder, make_model
from models.zoo.auto import Auto

log = logging.getLogger("forecast.bulk")

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


def hash64(text: str) -> int:
    """A 64-bit hash of ``text`` by BLAKE2b (little-endian): stable across processes, runs
    and machines, unlike Python's ``hash``."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def series_seed(seed: int, series_id: str) -> int:
    """A 64-bit seed from (root seed, series id) (``hash64``): stable across processes and runs."""
    return hash64(f"{seed}\x1f{series_id}")


def make_bulk_model(config: BulkConfig) -> ForecastModel:
    """An unfitted zoo model (``auto`` or any other name), given the season length when it
    takes one.

    Raises:
        UsageError: unknown model name.
    """
    return make_model(config.model, season_length=config.season_length,
                      **config.model_params)


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
    """Point forecast (the model's analytic one, else the path mean) and sample paths.

    Returns:
        point (horizon,) and paths (n_paths, horizon), same unit as the data, >= 0.
    """
    paths = model.sample_paths(horizon, n_paths, seed)
    point = model.point_forecast(horizon)
    if point is None:
        return paths.mean(axis=0), paths
    point = np.maximum(np.asarray(point, dtype=float), 0.0)
    if point.shape != (horizon,) or not np.all(np.isfinite(point)):
        raise FloatingPointError(f"{model.name} gave a non-finite point forecast")
    return point, paths


def _fallback(history: pd.DataFrame, config: BulkConfig, seed: int
              ) -> tuple[str, np.ndarray, np.ndarray]:
    last_error: Exception | None = None
    for model in fallback_ladder(config.season_length):
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
        model = make_bulk_model(config)
        model.fit(history_for(model, history))
        if pooled_point is not None and isinstance(model, Auto):
            model.use_pooled(pooled_point)
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
