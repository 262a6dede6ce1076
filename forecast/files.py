"""Every file orecast writes: strict JSON, stable CSV, tables by extension, and the two
atomic forms (one file by rename, a folder of files through a staging folder)."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from models.core.errors import OutputWriteError


def write_json(data: dict[str, Any], path: Path) -> Path:
    """Strict JSON (no NaN or Infinity: a non-finite number is a bug, never written) with keys
    in the given order, 2-space indent, trailing newline (stable bytes)."""
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """CSV without index, ``\\n`` line ends, floats as pandas writes them (stable bytes)."""
    frame.to_csv(path, index=False, lineterminator="\n")
    return path


def write_dir_atomically(out_dir: Path, writer: Callable[[Path], Any]) -> Path:
    """Run ``writer(staging_dir)`` then move every file it wrote into ``out_dir``.

    The staging folder lives next to ``out_dir`` (same file system, so each move is an
    atomic rename); if ``writer`` fails, nothing reaches ``out_dir``.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        writer(staging)
        out_dir.mkdir(exist_ok=True)
        for f in sorted(staging.iterdir()):
            os.replace(f, out_dir / f.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def table_format(path: str | os.PathLike[str]) -> str:
    """``parquet`` (.parquet, .pq), ``csv.gz`` (.gz) or ``csv``, from a file name."""
    name = Path(path).name.lower()
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    return "csv.gz" if name.endswith(".gz") else "csv"


def write_table(frame: pd.DataFrame, path: Path, fmt: str) -> Path:
    """Write ``frame`` without index as ``fmt`` (see ``table_format``); gzip with no file name
    and mtime 0 in its header, so the same rows give the same bytes."""
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    elif fmt == "csv.gz":
        with open(path, "wb") as fh, gzip.GzipFile(filename="", mode="wb", fileobj=fh,
                                                   mtime=0) as gz:
            gz.write(frame.to_csv(index=False).encode("utf-8"))
    else:
        frame.to_csv(path, index=False)
    return path


def write_file_atomically(path: Path, writer: Callable[[Path], Any]) -> Path:
    """Run ``writer(tmp)`` on a temporary file beside ``path``, then rename it over ``path``:
    a reader sees the old file or the new one, never half of one.

    Raises:
        OutputWriteError: the file cannot be written (disk full, permissions); any previous
            file at ``path`` is intact and the temporary file is gone.
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        writer(Path(tmp))
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputWriteError(f"{path}: could not write the output ({exc.strerror or exc}); "
                               f"any previous file there is intact") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
