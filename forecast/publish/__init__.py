"""The monthly publishing job: one as-of month's forecast, published atomically and idempotently.

A publication is the folder ``ROOT/<year>/<as_of>/`` holding ``monthly.csv``,
``quarterly.csv``, ``annual.json``, ``fan_chart.png``, ``guidance_chart.png``,
``report.html`` and ``manifest.json`` (the sha256 of every other file and the inputs that
made them), plus an MLflow run with the same files as artifacts.

Guarantees (README, "Running the monthly job"):

- Atomic: files are written to ``ROOT/.staging-*``, then the folder is renamed into place
  (an existing folder is swapped with ``renameat2(RENAME_EXCHANGE)``, so the path always
  holds a complete publication), then ``ROOT/latest`` (a relative symlink) is replaced by
  ``rename``. ``manifest.json`` is written last; a folder is complete when every file
  matches its digest in it.
- Idempotent: the key is (data sha256, model name/version/run id or URI, as-of, year,
  guidance, seed, n_paths). The same key again is a no-op; another key for a published
  as-of is refused unless ``force``, which keeps the old folder as
  ``<as_of>.superseded-<UTC timestamp>``.
- Exclusive: one publish at a time per ROOT (``fcntl.flock`` on ``ROOT/.publish.lock``,
  non-blocking); the loser raises ``PublishLockedError`` before writing anything.
- Nothing is written when the data is invalid or stale, or the model or tracking store is
  unavailable: those are checked before ROOT is touched.

The rooms: ``request`` (what is asked, staleness), ``compute`` (data, model, forecast, key),
``staging`` (the files, manifest last), ``run`` (the MLflow run), ``placing`` (lock, atomic
swap, ``latest``, recovery), ``job`` (the order of the steps), ``model_source`` (resolving
and loading the registered model), ``joblog`` (one key=value line per step).
"""

from forecast.publish.job import publish
from forecast.publish.request import (
    DEFAULT_EXPERIMENT,
    DEFAULT_MODEL_URI,
    PublishIOError,
    PublishRequest,
    PublishResult,
    StaleDataError,
)

__all__ = ["DEFAULT_EXPERIMENT", "DEFAULT_MODEL_URI", "PublishIOError", "PublishRequest",
           "PublishResult", "StaleDataError", "publish"]
