"""Every file orecast writes: strict JSON, stable CSV, tables by extension, and the two
atomic forms (one file by rename, a folder of files through a staging folder)."""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from models.core.errors import OutputWriteError, UsageError


def os_reason(exc: OSError) -> str:
    """An OS error's reason for a one-line message: its strerror ("No space left on
    device"), else its text, else its type."""
    return exc.strerror or str(exc) or type(exc).__name__


def fault_point(step: str) -> None:
    """Crash or pause here when a test asks for it (``ORECAST_TEST_KILL_AT`` / ``_PAUSE_AT``).

    ``ORECAST_TEST_KILL_AT=<step>`` sends SIGKILL to this process (no cleanup runs, as in a
    real kill); ``ORECAST_TEST_PAUSE_AT=<step>:<seconds>`` sleeps. Unset in production.
    """
    if os.environ.get("ORECAST_TEST_KILL_AT") == step:
        os.kill(os.getpid(), signal.SIGKILL)
    pause = os.environ.get("ORECAST_TEST_PAUSE_AT", "")
    if pause.rpartition(":")[0] == step:
        time.sleep(float(pause.rpartition(":")[2]))


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


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
    """Run ``writer(staging)`` on a staging folder beside ``out_dir``, then put that folder
    in ``out_dir``'s place as a whole: a reader sees the old folder or the new one, never a
    mix (an existing folder is swapped atomically where the system can, else moved aside).

    The staging folder lives on ``out_dir``'s file system. When ``out_dir`` is itself a
    mount point, which cannot be replaced, the staging folder lives inside it and each file
    is replaced by rename, one at a time. If ``writer`` fails, ``out_dir`` is untouched.

    Raises:
        UsageError: ``out_dir`` is a file, or a folder holding files this output would not
            write (they would be lost).
        OutputWriteError: the folder cannot be written (permissions, read-only or full file
            system, a file in the way); whatever was there is intact.
    """
    out_dir = Path(out_dir)
    if out_dir.is_symlink() or (out_dir.exists() and not out_dir.is_dir()):
        raise UsageError(f"expected a folder (or a new name) to write into, found a file at "
                         f"{out_dir}", option="out")
    mount = os.path.ismount(out_dir)
    where = out_dir if mount else out_dir.parent
    staging: Path | None = None
    try:
        where.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=where))
        writer(staging)
        _check_replaceable(out_dir, staging, mount)
        if mount:
            for f in sorted(staging.iterdir()):
                os.replace(f, out_dir / f.name)
        else:
            _place(staging, out_dir)
    except OSError as exc:
        raise OutputWriteError(f"{out_dir}: cannot write the output "
                               f"({os_reason(exc)}); what was there "
                               f"is intact") from exc
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def place_dir(staging: Path, out_dir: Path) -> Path:
    """Put the already written folder ``staging`` (beside ``out_dir``, same file system) in
    ``out_dir``'s place as a whole, as ``write_dir_atomically`` ends: a reader sees the old
    folder or the new one, never a mix. ``staging`` is gone afterwards; on an error it is
    left as it was, so work in it can be resumed.

    Raises:
        UsageError: ``out_dir`` holds files ``staging`` does not (they would be lost).
        OutputWriteError: the folder cannot be moved; whatever was at ``out_dir`` is intact.
    """
    try:
        _check_replaceable(out_dir, staging, False)
        _place(staging, out_dir)
    except OSError as exc:
        raise OutputWriteError(f"{out_dir}: cannot write the output ({os_reason(exc)}); what "
                               f"was there is intact") from exc
    # After an exchange the staging name holds the previous folder.
    shutil.rmtree(staging, ignore_errors=True)
    return out_dir


def _place(staging: Path, out_dir: Path) -> None:
    os.chmod(staging, 0o755)  # mkdtemp makes it private; an output is for readers
    _replace_dir(staging, out_dir)


def _check_replaceable(out_dir: Path, staging: Path, mount: bool) -> None:
    if not out_dir.is_dir():
        return
    ours = {p.name for p in staging.iterdir()} | ({staging.name} if mount else set())
    foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if foreign:
        raise UsageError(f"expected an empty folder or an earlier output of this command at "
                         f"{out_dir}, found {', '.join(foreign[:5])}"
                         f"{' ...' if len(foreign) > 5 else ''} (they would be replaced)",
                         option="out")


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Put the folder ``staging`` at ``out_dir`` (same file system), whole."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if exchange_dirs(staging, out_dir):
        return  # staging now holds the previous folder; the caller removes it
    # Without an atomic swap the path is briefly empty; the old folder is never lost.
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
    os.rename(out_dir, old / out_dir.name)
    os.rename(staging, out_dir)
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange_dirs(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``).

    Returns False when the system or file system does not support it.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: not supported here
        return False
    raise OSError(err, os.strerror(err), str(a))


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
        os.chmod(tmp, 0o644)  # mkstemp makes it private; an output is for readers
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise OutputWriteError(f"{path}: could not write the output ({os_reason(exc)}); "
                               f"any previous file there is intact") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
