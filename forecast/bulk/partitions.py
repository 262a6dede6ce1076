"""The work units of a bulk job: whole series each, read by the task that forecasts them.

``--input`` is one file, a folder of Parquet files (a dataset, hive-style ``key=value``
subfolders allowed; files whose names start with ``.`` or ``_`` are skipped) or a glob of
CSV/Parquet files. With one file the driver reads and validates it (as it always did) and
cuts it into chunks of whole series. With several, the driver reads no rows:

- When every series lies in one file (checked from the Parquet files' ``series_id``
  statistics, else from the series ids each worker reads from its file, as 64-bit hashes),
  each file is one task, read and validated by the worker that forecasts it.
- Otherwise the series are repartitioned by a hash of ``series_id``: each worker reads one
  file and writes its validated rows to one Parquet file per bucket in a shuffle folder
  beside the output; each task then reads one bucket. The log says so.

A problem in a file is reported as reading one file reports it (``file:row: field: ...``);
the same month of a series in two files is refused by the task that meets both.
"""

from __future__ import annotations

import glob
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from forecast.bulk.series import hash64
from forecast.files import sha256_file, write_file_atomically
from models.core.errors import DataValidationError
from models.data.many_series import read_series
from models.data.schema import problem_error

log = logging.getLogger("forecast.bulk")

_TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")


def input_files(spec: str | os.PathLike[str]) -> list[Path]:
    """The files ``--input`` names, sorted by path: itself, the Parquet files under a
    folder, or the CSV/Parquet files a glob (``*``, ``?``, ``[...]``, ``**``) matches.

    Raises:
        DataValidationError: nothing to read (one line naming ``spec``).
    """
    text = os.fspath(spec)
    path = Path(text)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file()
                       and p.name.lower().endswith((".parquet", ".pq"))
                       and not any(part.startswith((".", "_"))
                                   for part in p.relative_to(path).parts))
        if not files:
            raise problem_error(text, 0, "file", "expected a folder holding .parquet files, "
                                                 "found none")
        return files
    if glob.has_magic(text):
        files = sorted(Path(p) for p in glob.glob(text, recursive=True)
                       if Path(p).is_file() and p.lower().endswith(_TABLE_SUFFIXES))
        if not files:
            raise problem_error(text, 0, "file", "expected the pattern to match .csv, "
                                                 ".csv.gz or .parquet files, found none")
        return files
    return [path]


def is_partitioned(spec: str | os.PathLike[str]) -> bool:
    """Whether ``--input`` is a folder or a glob (read by the workers) rather than one file."""
    text = os.fspath(spec)
    return Path(text).is_dir() or glob.has_magic(text)


def shuffle_folder(beside: Path, files: list[Path]) -> Path:
    """Where a repartitioned input's shuffle files go: a folder in ``beside`` (the output's
    folder, which the workers write to) named after the input files."""
    digest = hashlib.sha256("\x1f".join(map(str, files)).encode()).hexdigest()[:16]
    return beside / f".orecast-shuffle-{digest}"


def input_sha256(files: list[Path]) -> str:
    """sha256 of the input: of the one file's bytes, or of every file's path and digest."""
    if len(files) == 1:
        return sha256_file(files[0])
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f}\x1f{sha256_file(f)}\x1e".encode())
    return h.hexdigest()


def series_hash(ids: pd.Series) -> np.ndarray:
    """A stable 64-bit hash of each series id (``hash64``, computed once per distinct id)."""
    codes, uniques = pd.factorize(ids.astype(str), sort=False)
    hashed = np.array([hash64(u) for u in uniques], dtype=np.uint64)
    return hashed[codes] if len(uniques) else np.zeros(0, dtype=np.uint64)


@dataclass(frozen=True)
class Partition:
    """One task's series: rows the driver holds, or files the task reads itself.

    Attributes:
        index: the task's number (its part is ``part-<index>``).
        frame: validated rows (``read_series`` output), or None.
        exog: their exogenous columns.
        files: files to read (an input file, or the shuffle files of one bucket).
        shuffled: whether ``files`` are shuffle files (validated rows, month ordinals).
    """

    index: int
    frame: pd.DataFrame | None = None
    exog: tuple[str, ...] = ()
    files: tuple[str, ...] = ()
    shuffled: bool = False


def load(part: Partition) -> tuple[pd.DataFrame, list[str]]:
    """The partition's validated rows (``read_series`` columns) and exogenous columns.

    Raises:
        DataValidationError: a problem in a file, or a month of a series in two files.
    """
    if part.frame is not None:
        return part.frame, list(part.exog)
    if not part.shuffled:
        (path,) = part.files
        return read_series(path)
    frames = [pd.read_parquet(f) for f in part.files]
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["series_id", "month", "value"])
    frame["month"] = pd.PeriodIndex.from_ordinals(frame["month"].to_numpy("int64"), freq="M")
    dup = frame.duplicated(["series_id", "month"])
    if dup.any():
        row = frame.loc[dup].iloc[0]
        raise DataValidationError(
            f"series {row['series_id']!r} {row['month']}: value: expected each month once "
            f"per series, found it in two input files")
    exog = [c for c in frame.columns if c not in ("series_id", "month", "value")]
    return frame, exog


def series_ids_hashed(path: str) -> np.ndarray:
    """The distinct series ids of one input file as 64-bit hashes (read: ``series_id`` only)."""
    name = path.lower()
    if name.endswith((".parquet", ".pq")):
        ids = pd.read_parquet(path, columns=["series_id"])["series_id"]
    else:
        ids = pd.read_csv(path, usecols=["series_id"], dtype=str, keep_default_na=False,
                          encoding="utf-8-sig")["series_id"]
    return np.unique(series_hash(ids.str.strip()))


def parquet_ranges(files: list[Path]) -> list[tuple[str, str]] | None:
    """Each Parquet file's (min, max) ``series_id`` from its metadata, or None when a file is
    not Parquet or lacks the statistics."""
    import pyarrow.parquet as pq

    ranges = []
    for f in files:
        if not f.name.lower().endswith((".parquet", ".pq")):
            return None
        try:
            meta = pq.ParquetFile(f).metadata
            col = meta.schema.to_arrow_schema().get_field_index("series_id")
            stats = [meta.row_group(g).column(col).statistics
                     for g in range(meta.num_row_groups)] if col >= 0 else []
        except Exception:  # noqa: BLE001 - unreadable metadata: the workers' read decides
            return None
        # Numbers as ids compare differently as text (9 > 10): only text statistics count.
        if (col < 0 or not stats or meta.schema.column(col).physical_type != "BYTE_ARRAY"
                or any(s is None or not s.has_min_max for s in stats)):
            return None
        ranges.append((str(min(s.min for s in stats)), str(max(s.max for s in stats))))
    return ranges


def disjoint(ranges: list[tuple[str, str]]) -> bool:
    """Whether no two (min, max) ranges overlap: then no series can be in two files."""
    ordered = sorted(ranges)
    return all(a[1] < b[0] for a, b in zip(ordered, ordered[1:], strict=False))


def split_file(path: str, index: int, n_buckets: int, folder: str) -> int:
    """Read and validate one input file, write its rows to one shuffle file per bucket
    (``folder/bucket-<b>/file-<index>.parquet``, month as its ordinal); the rows written."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame, _ = read_series(path)
    bucket = series_hash(frame["series_id"]) % np.uint64(n_buckets)
    frame = frame.assign(month=frame["month"].array.asi8)
    for b in np.unique(bucket):
        rows = frame.loc[bucket == b]
        target = Path(folder) / f"bucket-{int(b):05d}" / f"file-{index:05d}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        table = pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
        write_file_atomically(target, lambda tmp, table=table: pq.write_table(table, tmp))
    return len(frame)


def file_partitions(files: list[Path], shuffle_folder: Path,
                    run: Any) -> list[Partition]:
    """The tasks of a several-file input: one per file when no series spans two files,
    else one per hash bucket (``split_file`` run on the workers first).

    Args:
        files: the input files.
        shuffle_folder: where the shuffle files go (beside the output, removed by the caller).
        run: ``run(fn, tasks)`` executes ``fn(*task)`` for every task on the job's backend
            and returns the results in task order.
    """
    ranges = parquet_ranges(files)
    if ranges is not None and disjoint(ranges):
        grouped = True
    else:
        hashed = run(series_ids_hashed, [(str(f),) for f in files])
        every = np.concatenate(hashed) if hashed else np.zeros(0, dtype=np.uint64)
        grouped = len(np.unique(every)) == len(every)
    if grouped:
        log.info("bulk: %d input files, every series in one file: one task per file",
                 len(files))
        return [Partition(i, files=(str(f),)) for i, f in enumerate(files)]
    n_buckets = len(files)
    log.info("bulk: %d input files, some series in more than one: repartitioned by a hash "
             "of series_id into %d buckets (shuffle files in %s)", len(files), n_buckets,
             shuffle_folder)
    # A killed run's shuffle files may come from other contents of the same files.
    shutil.rmtree(shuffle_folder, ignore_errors=True)
    run(split_file, [(str(f), i, n_buckets, str(shuffle_folder)) for i, f in enumerate(files)])
    parts = []
    for b in range(n_buckets):
        found = tuple(str(p) for p in sorted((shuffle_folder / f"bucket-{b:05d}")
                                             .glob("file-*.parquet")))
        if found:
            parts.append(Partition(len(parts), files=found, shuffled=True))
    return parts
