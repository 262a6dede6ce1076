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
cannot be fitted) and a row in its failure record (``<output name>.failures.csv``) next to the output.

With ``auto`` (the default) and at least 100 series long enough, a pooled model
(``models.zoo.pooled``) is first fitted on windows of every series of the job, sampled by the
tasks (each series' windows have priorities from its id and the seed; the job keeps the
lowest), and each series' point forecast becomes 2/3 its members' mean + 1/3 the pooled
forecast (``models.zoo.auto``). A series' forecast then depends on the other series of the
job: the same input gives the same output, a different set of series may move it.
``pooled=False`` (``orecast bulk --no-pooled``) forecasts every series from its own history
alone.

Determinism: every series draws its paths from its own seed, a stable hash of (seed,
series_id), and the pooled model's windows do not depend on how the series are split into
tasks, so results do not depend on the backend, the number of workers, the chunking or the
input files. A task returns only its summary rows (or, into an output folder, writes its own
parts and returns their digests), never paths.

The rooms: ``series`` (one series, one chunk, the fallback), ``partitions`` (the work units:
chunks of a file the driver read, or input files the workers read, repartitioned by series
when needed), ``engine`` (the backends, the pooled model, running the partitions),
``output`` (one atomic file), ``parts`` (an atomic, resumable folder of parts), ``job``
(one ``orecast bulk`` run from its arguments); the reader is ``models.data.many_series``.
"""

from forecast.bulk.engine import BulkResult, run_bulk
from forecast.bulk.output import output_paths, write_result
from forecast.bulk.series import FAILURE_COLUMNS, OUTPUT_COLUMNS, BulkConfig
from models.data.many_series import read_series

__all__ = ["FAILURE_COLUMNS", "OUTPUT_COLUMNS", "BulkConfig", "BulkResult", "output_paths",
           "read_series", "run_bulk", "write_result"]
