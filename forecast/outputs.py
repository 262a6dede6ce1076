"""Writing a year forecast's files (``annual.json``, ``monthly.csv``, ...) atomically."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd


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
