"""A bulk job written as a folder of Parquet parts, atomically and resumably.

``orecast bulk --output DIR/`` writes::

    DIR/manifest.json                   what was run, on what, and every part's rows and sha256
    DIR/forecasts/part-00000.parquet    OUTPUT_COLUMNS, one part per task (work unit)
    DIR/failures/part-00000.parquet     FAILURE_COLUMNS, one part per task (often 0 rows)

Each task writes its own two parts, in the process that forecast them (a worker, for the
``processes`` and ``dask`` backends), into a staging folder beside DIR named after the job's
fingerprint (the arguments, the work units and the input's sha256). A part is renamed into
place complete, then a small record of its rows and digests is written; the driver only
gathers those records. The run ends by writing the manifest and putting the staging folder
in DIR's place as a whole (``forecast.files.place_dir``): readers see the old output or the
new one, never half.

Resume: a run killed at any moment leaves its staging folder. Run again with the same
arguments and input, the job has the same fingerprint, finds that folder, keeps every part
whose record is there and whose files still hash to it, and computes only the rest; since
every series draws from its own seed, the parts, and so the output's data, are the bytes an
uninterrupted run writes. Other arguments or another input give another fingerprint and
never meet those parts. Only the manifest's ``run`` block (wall time, series per second, how
many parts this run computed) describes the run itself.

For a dask cluster of several machines, DIR's folder must be on storage every worker
mounts at the same path (the workers write the parts).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from forecast.bulk.engine import (
    Backend,
    SharedFile,
    execute,
    fit_pooled,
    forecast_partition,
    shared,
)
from forecast.bulk.partitions import Partition
from forecast.bulk.series import FAILURE_COLUMNS, OUTPUT_COLUMNS, BulkConfig
from forecast.files import fault_point, place_dir, sha256_file, write_file_atomically, write_json
from models.core.errors import UsageError
from models.core.version import orecast_version
from models.zoo.pooled import PooledWindows

log = logging.getLogger("forecast.bulk")

#: ``format`` of a bulk output folder's manifest
PARTS_FORMAT = "orecast-bulk-parts/1"
MANIFEST = "manifest.json"
FORECASTS, FAILURES = "forecasts", "failures"


def is_folder_output(output: str | os.PathLike[str]) -> bool:
    """Whether ``--output`` names a folder: written with a trailing slash, or an existing folder."""
    text = os.fspath(output)
    return text.endswith(("/", os.sep)) or Path(text).is_dir()


def check_output_folder(output: str | os.PathLike[str]) -> Path:
    """The output folder, checked before any work.

    Raises:
        UsageError: its parent folder does not exist, it is a mount point (it could not be
            replaced as a whole), or it holds anything but an earlier output of this command.
    """
    out = Path(os.fspath(output).rstrip("/" + os.sep) or "/").absolute()
    if not out.parent.is_dir():
        raise UsageError(f"folder {out.parent} does not exist", option="output")
    if out.exists():
        if os.path.ismount(out):
            raise UsageError(f"{out} is a mount point, which cannot be replaced as a whole; "
                             f"expected a folder inside it", option="output")
        if any(out.iterdir()) and _manifest_format(out) != PARTS_FORMAT:
            raise UsageError(f"expected an empty folder or an earlier output of orecast bulk "
                             f"at {out} (with {MANIFEST}), found other files (they would be "
                             f"replaced)", option="output")
    return out


def _manifest_format(folder: Path) -> str | None:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError, AttributeError):
        return None


def part_name(index: int) -> str:
    """``part-00007.parquet`` for task 7 (five digits; more tasks just widen the number)."""
    return f"part-{index:05d}.parquet"


@functools.cache
def _schema(kind: str) -> Any:
    """The Arrow schema of a ``forecasts`` or ``failures`` part."""
    import pyarrow as pa

    if kind == FORECASTS:
        return pa.schema(
            [("series_id", pa.string()), ("horizon", pa.int64()), ("timestamp", pa.string())]
            + [(c, pa.float64()) for c in OUTPUT_COLUMNS[3:]])
    return pa.schema([(c, pa.string()) for c in FAILURE_COLUMNS])


def _write_parquet(frame: pd.DataFrame, path: Path, kind: str) -> str:
    """Write ``frame`` as one Parquet file with the part schema, atomically; its sha256."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    # No pandas metadata: the bytes depend on the rows alone, and any reader sees plain columns.
    table = pa.Table.from_pandas(frame, schema=_schema(kind), preserve_index=False)
    table = table.replace_schema_metadata(None)
    write_file_atomically(path, lambda tmp: pq.write_table(table, tmp))
    return sha256_file(path)


def write_part(staging: str, records: str, part: Partition, config: BulkConfig,
               pooled: PooledWindows | SharedFile | None) -> dict[str, Any]:
    """Read and forecast one partition, write its two parts into ``staging``, then its
    record into ``records``.

    Runs where the task runs (a worker); returns only the record.

    Returns:
        ``index, series, forecasts_rows, forecasts_sha256, failures_rows, failures_sha256``.
    """
    forecasts, failures = forecast_partition(part, config, pooled)
    root = Path(staging)
    index = part.index
    name = part_name(index)
    record = {"index": index, "series": int(forecasts["series_id"].nunique()),
              "forecasts_rows": len(forecasts),
              "forecasts_sha256": _write_parquet(forecasts, root / FORECASTS / name, FORECASTS),
              "failures_rows": len(failures),
              "failures_sha256": _write_parquet(
                  pd.DataFrame(failures, columns=list(FAILURE_COLUMNS)),
                  root / FAILURES / name, FAILURES)}
    # The record last: a part without one is redone on resume.
    write_file_atomically(Path(records) / f"{name}.json",
                          lambda tmp: write_json(record, tmp))
    return record


@dataclass(frozen=True)
class PartsJob:
    """Where a partitioned bulk job writes and what identifies it.

    Attributes:
        out: the output folder.
        arguments: what was asked (model, horizon, paths, seed, ...), as in the manifest.
        input: ``path`` and ``sha256`` of the input.
        fingerprint: sha256 of the arguments, the work units and the input digest.
    """

    out: Path
    arguments: dict[str, Any]
    input: dict[str, str]
    fingerprint: str

    @property
    def staging(self) -> Path:
        """The staging folder beside ``out``, named after the fingerprint: the output to be."""
        return self.out.parent / f".{self.out.name}.parts-{self.fingerprint[:16]}"

    @property
    def records(self) -> Path:
        """The folder of finished parts' records beside ``staging`` (never in the output)."""
        return self.staging.with_name(self.staging.name + ".done")


def units_digest(partitions: list[Partition]) -> str:
    """sha256 of what each work unit holds: its series (rows held by the driver) or its files."""
    units = hashlib.sha256()
    for p in partitions:
        if p.frame is not None:
            held = p.frame["series_id"].unique()
        elif p.shuffled:
            # The shuffle folder's own location is not part of what the unit holds.
            held = [f"{Path(f).parent.name}/{Path(f).name}" for f in p.files]
        else:
            held = p.files
        units.update("\x1f".join(map(str, held)).encode() + b"\x1e")
    return units.hexdigest()


def plan_job(out: Path, input_spec: str, input_digest: str, config: BulkConfig,
             partitions: list[Partition]) -> PartsJob:
    """The job's identity: its arguments, its work units and its input's digest.

    What every work unit holds is part of the fingerprint, so a different chunking (another
    ``--chunk-size`` or ``--workers`` default) never reuses parts.
    """
    arguments = {"model": config.model, "horizon": config.horizon,
                 "season_length": config.season_length, "n_paths": config.n_paths,
                 "seed": config.seed, "pooled": config.pooled,
                 "model_params": dict(config.model_params), "tasks": len(partitions)}
    units = units_digest(partitions)
    inp = {"path": input_spec, "sha256": input_digest}
    key = json.dumps({"format": PARTS_FORMAT, "arguments": arguments, "units": units,
                      "input_sha256": inp["sha256"],
                      "orecast_version": orecast_version()}, sort_keys=True)
    return PartsJob(out, arguments, inp, hashlib.sha256(key.encode()).hexdigest())


def finished_parts(staging: Path, records: Path, n_tasks: int) -> dict[int, dict[str, Any]]:
    """Records of the parts an earlier run of the same job finished, checked by digest.

    A part whose record is missing or unreadable, or whose files no longer hash to it, is
    not finished (it will be written again).
    """
    done: dict[int, dict[str, Any]] = {}
    for index in range(n_tasks):
        name = part_name(index)
        try:
            record = json.loads((records / f"{name}.json").read_text("utf-8"))
            ok = (record.get("index") == index
                  and sha256_file(staging / FORECASTS / name) == record["forecasts_sha256"]
                  and sha256_file(staging / FAILURES / name) == record["failures_sha256"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            ok = False
        if ok:
            done[index] = record
    return done


def _open_staging(job: PartsJob) -> None:
    for folder in (job.staging / FORECASTS, job.staging / FAILURES, job.records):
        folder.mkdir(parents=True, exist_ok=True)
        # Temporary files of a run killed while writing a part.
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)


@dataclass(frozen=True)
class PartsRun:
    """A partitioned job with every part written, before its manifest is placed.

    Attributes:
        manifest: ``format, fingerprint, arguments, input, orecast_version, columns, parts,
            totals`` (``totals``: series, forecast rows, fallbacks).
        staging: the folder of parts (the output to be); records: their records.
        computed, reused: parts written by this run, and kept from an interrupted one.
    """

    manifest: dict[str, Any]
    staging: Path
    records: Path
    computed: int
    reused: int


def run_parts(partitions: list[Partition], config: BulkConfig, backend: Backend, out: Path,
              input_spec: str, input_digest: str, *,
              progress: Callable[[int], None] | None = None,
              pooled_progress: Callable[[int], None] | None = None) -> PartsRun:
    """Forecast every series of the partitions into the output folder ``out``, as parts.

    Args:
        partitions, config, backend, pooled_progress: as
            ``forecast.bulk.engine.run_partitions``.
        out: the folder, checked by ``check_output_folder``.
        input_spec, input_digest: ``--input`` as given and the input's sha256
            (``forecast.bulk.partitions.input_sha256``), part of the job's fingerprint.
        progress: called with the series count of each part as it is finished (parts kept
            from an interrupted run are counted at the start).
    Returns:
        PartsRun (the manifest without its ``run`` block: see ``finish``).
    """
    job = plan_job(out, input_spec, input_digest, config, partitions)
    resumed = job.records.is_dir()
    _open_staging(job)
    done = finished_parts(job.staging, job.records, len(partitions)) if resumed else {}
    count = progress or (lambda n: None)
    if resumed:
        log.info("bulk: resuming %s: %d of %d parts were finished by an interrupted run of "
                 "the same job", out, len(done), len(partitions))
        for record in done.values():
            count(record["series"])
    todo = [p for p in partitions if p.index not in done]
    # The pooled model learns from every series, finished parts' too (as the run that
    # wrote them did); with nothing left to compute it is not needed.
    pooled = fit_pooled(partitions, config, backend, progress=pooled_progress) if todo \
        else None

    def tick(record: dict[str, Any]) -> None:
        count(record["series"])
        fault_point(f"bulk-part:{record['index']}")

    with shared(pooled, backend) as model:
        tasks = ((str(job.staging), str(job.records), p, config, model) for p in todo)
        for record in execute(write_part, tasks, backend, tick=tick):
            done[record["index"]] = record
    parts = [done[p.index] for p in partitions]
    manifest = {
        "format": PARTS_FORMAT,
        "fingerprint": job.fingerprint,
        "arguments": job.arguments,
        "input": job.input,
        "orecast_version": orecast_version(),
        "columns": {FORECASTS: list(OUTPUT_COLUMNS), FAILURES: list(FAILURE_COLUMNS)},
        "parts": [{FORECASTS: f"{FORECASTS}/{part_name(p['index'])}",
                   "forecasts_rows": p["forecasts_rows"],
                   "forecasts_sha256": p["forecasts_sha256"],
                   FAILURES: f"{FAILURES}/{part_name(p['index'])}",
                   "failures_rows": p["failures_rows"],
                   "failures_sha256": p["failures_sha256"], "series": p["series"]}
                  for p in parts],
        "totals": {"series": sum(p["series"] for p in parts),
                   "rows": sum(p["forecasts_rows"] for p in parts),
                   "fallbacks": sum(p["failures_rows"] for p in parts)},
    }
    return PartsRun(manifest, job.staging, job.records, computed=len(todo),
                    reused=len(partitions) - len(todo))


def finish(job: PartsRun, out: Path, run: Mapping[str, Any]) -> Path:
    """Write the manifest (with the ``run`` block) and put the staging folder in ``out``'s
    place as a whole; remove staging folders of earlier jobs into ``out`` left unfinished.

    Args:
        job: as returned by ``run_parts``.
        run: what this run did (backend, workers, wall time, series per second, ...).
    """
    record = job.manifest | {"run": dict(run)}
    fault_point("bulk-manifest")
    write_file_atomically(job.staging / MANIFEST, lambda tmp: write_json(record, tmp))
    place_dir(job.staging, out)
    shutil.rmtree(job.records, ignore_errors=True)
    for stale in out.parent.glob(f".{out.name}.parts-*"):
        # Another job's parts into the same folder: never reusable now that it is replaced.
        log.info("bulk: removed %s, the parts of an unfinished earlier job", stale.name)
        shutil.rmtree(stale, ignore_errors=True)
    return out
