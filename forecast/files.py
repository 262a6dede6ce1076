"""Every file orecast writes: strict JSON, stable CSV, tables by extension, and the two
atomic forms (one file by rename, a folder of files through a staging folder)."""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import gzip
import hashlib
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from models.core.errors import OutputLockedError, OutputWriteError, UsageError
from models.data.input_file import input_at

#: longest file or folder name, in bytes, when the file system does not say (ext4, xfs, tmpfs)
NAME_MAX_BYTES = 255
#: longest path, in bytes, when the system does not say (Linux PATH_MAX)
PATH_MAX_BYTES = 4096
#: bytes of an output's name kept in the names of its hidden staging and temporary files,
#: which add a prefix and a random suffix: a name the system accepts must not make a
#: staging name it refuses
_HIDDEN_NAME_BYTES = 200


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


def _hidden_stem(name: str) -> str:
    """``name`` cut to at most ``_HIDDEN_NAME_BYTES`` UTF-8 bytes (whole characters), for the
    names of hidden files beside an output."""
    return name.encode("utf-8", "surrogateescape")[:_HIDDEN_NAME_BYTES].decode(
        "utf-8", "ignore")


def _limit(path: Path, name: str, default: int) -> int:
    """``os.pathconf`` ``name`` of the nearest existing folder at or above ``path``: what its
    file system accepts (``default`` when none says)."""
    for probe in (path, *path.parents):
        try:
            if probe.is_dir():
                return int(os.pathconf(probe, name))
        except (OSError, ValueError):  # a name too long to stat is not the folder
            continue
    return default


def check_output_target(path: str | os.PathLike[str], option: str, *,
                        folder: bool = False) -> Path:
    """Refuse, before any work, an output path the system could never create: a name longer
    than the file system allows (255 bytes on most), a path longer than the system's limit,
    or (``folder``) a file where the output folder would go.

    Args:
        path: the output (a folder, or a file) as given on the command line.
        option: the parameter's name for the error (``out``, ``output``).
        folder: the output is a folder, so an existing file at ``path`` is refused.
    Returns:
        ``path`` as a Path.
    Raises:
        UsageError: one line naming ``option`` and the limit (exit 2); nothing was computed.
    """
    path = Path(path)
    name_max = _limit(path.absolute(), "PC_NAME_MAX", NAME_MAX_BYTES)
    for part in path.absolute().parts:
        size = len(os.fsencode(part))
        if size > name_max:
            raise UsageError(f"expected file and folder names of at most {name_max} bytes, "
                             f"found one of {size} bytes ({part[:40]}...)", option=option)
    size = len(os.fsencode(str(path.absolute())))
    path_max = _limit(path.absolute(), "PC_PATH_MAX", PATH_MAX_BYTES)
    if size >= path_max:
        raise UsageError(f"expected a path of fewer than {path_max} bytes, found {size}",
                         option=option)
    if folder and (path.is_symlink() or (path.exists() and not path.is_dir())):
        raise UsageError(f"expected a folder (or a new name) to write into, found a file at "
                         f"{path}", option=option)
    return path


def refuse_input(path: str | os.PathLike[str], option: str | None) -> None:
    """Refuse to replace ``path`` when it is an input of the running command (the same file
    by device and inode, whatever name or link it was read under).

    Raises:
        UsageError: one line naming the file and the input (exit 2).
    """
    source = input_at(path)
    if source is not None:
        same_name = os.path.abspath(source) == os.path.abspath(path)
        read_as = "" if same_name else f" (read as {source})"
        raise UsageError(f"{path} is an input of this command{read_as}; expected an output "
                         f"that replaces none of its inputs", option=option)


@contextlib.contextmanager
def output_lock(out: Path, option: str) -> Iterator[Path]:
    """Hold the lock of the output ``out`` for the block: a hidden ``.<name>.lock`` beside it
    (``fcntl.flock``, not waited for), so two jobs writing one output never share its
    staging. The file stays (removing a lock file races with the next job opening it); the
    system releases the lock when the holder ends, even killed.

    Args:
        out: the output (a folder or a file); its parent folder must exist.
        option: the parameter that named it, for errors (``output``).
    Yields:
        The lock file's path.
    Raises:
        OutputLockedError: another process holds it (exit 75); nothing was written.
        OutputWriteError: the lock file cannot be made (exit 74).
    """
    path = out.parent / f".{_hidden_stem(out.name)}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise OutputWriteError(f"{path}: cannot make the output's lock file "
                               f"({os_reason(exc)})") from exc
    with pid_lock(fd, lambda holder: OutputLockedError(
            f"--{option}: {out}: another job (pid {holder}) is writing this output; nothing "
            f"written, retry when it ends")):
        yield path


@contextlib.contextmanager
def pid_lock(fd: int, locked: Callable[[str], Exception]) -> Iterator[None]:
    """Hold an exclusive ``fcntl.flock`` on the open file ``fd`` for the block, not waited
    for, with this process's pid written in it; closes ``fd`` after.

    Args:
        fd: an open lock file (read-write).
        locked: the error to raise when another process holds it, given that process's
            pid as written in the file (``?`` when unreadable).
    """
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise locked(holder) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)


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
    out_dir = check_output_target(out_dir, "out", folder=True)
    _check_no_inputs(out_dir)
    mount = os.path.ismount(out_dir)
    where = out_dir if mount else out_dir.parent
    staging: Path | None = None
    try:
        where.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{_hidden_stem(out_dir.name)}.tmp-",
                                        dir=where))
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


def _check_no_inputs(out_dir: Path) -> None:
    """Refuse a folder that holds an input of the running command (checked before writing,
    and again before placing)."""
    if out_dir.is_dir() and not out_dir.is_symlink():
        for p in sorted(out_dir.iterdir()):
            refuse_input(p, "out")


def _check_replaceable(out_dir: Path, staging: Path, mount: bool) -> None:
    """Refuse to replace ``out_dir`` unless every file in it is one this output writes: a
    name it writes, not an input of the command, and of the kind it writes there (see
    ``_same_kind``), so an input or a user's file that merely has an output's name survives."""
    if not out_dir.is_dir():
        return
    _check_no_inputs(out_dir)
    ours = {p.name for p in staging.iterdir()} | ({staging.name} if mount else set())
    foreign = sorted(p.name for p in out_dir.iterdir() if p.name not in ours)
    if foreign:
        raise UsageError(f"expected an empty folder or an earlier output of this command at "
                         f"{out_dir}, found {', '.join(foreign[:5])}"
                         f"{' ...' if len(foreign) > 5 else ''} (they would be replaced)",
                         option="out")
    if mount:
        ours.discard(staging.name)
    unlike = sorted(name for name in ours & {p.name for p in out_dir.iterdir()}
                    if not _same_kind(out_dir / name, staging / name))
    if unlike:
        raise UsageError(f"expected an empty folder or an earlier output of this command at "
                         f"{out_dir}, found {', '.join(unlike[:5])} that this command did not "
                         f"write (not the kind of file it writes there; it would be "
                         f"replaced)", option="out")


#: bytes read from the start of a file to tell what kind of file it is
_HEAD_BYTES = 64 * 1024
#: largest JSON file parsed to compare it with the one an output writes
_MAX_JSON_BYTES = 16 * 1024 * 1024


def _same_kind(old: Path, new: Path) -> bool:
    """Whether ``old``, found where ``new`` is to go, looks written by the same command: a
    JSON object with the same first key, a text file with the same first line (a CSV's
    header), or a binary file with the same signature (first 8 bytes, e.g. PNG's).

    An output's folder carries no marker of its own (its listing is part of the output), so
    its files are recognised by their form: a production history named ``monthly.csv``
    (header ``month,gold_oz``) is not a forecast's ``monthly.csv`` (``month,kind,...``).
    A folder (bulk's ``forecasts/`` of parts) is of the same kind when every file in it is
    of the kind of the new folder's file of that name, or else of its first file with the
    same suffix (another run may have another number of parts).
    """
    if old.is_symlink():
        return False
    if old.is_dir():
        if not new.is_dir() or new.is_symlink():
            return False
        fresh = sorted(new.iterdir())
        for child in old.iterdir():
            twin = new / child.name
            if not twin.exists():
                twin = next((f for f in fresh if f.suffix == child.suffix), None)
            if twin is None or not _same_kind(child, twin):
                return False
        return True
    if not old.is_file():
        return False
    try:
        with open(old, "rb") as fh:
            old_head = fh.read(_HEAD_BYTES)
        with open(new, "rb") as fh:
            new_head = fh.read(_HEAD_BYTES)
        if new.suffix == ".json":
            if old.stat().st_size > _MAX_JSON_BYTES:
                return False
            old_obj = json.loads(old.read_text(encoding="utf-8"))
            new_obj = json.loads(new.read_text(encoding="utf-8"))
            return (isinstance(old_obj, dict) and isinstance(new_obj, dict)
                    and list(old_obj)[:1] == list(new_obj)[:1])
    except (OSError, ValueError):
        return False
    try:
        new_line = new_head.decode("utf-8").splitlines()[:1]
    except UnicodeDecodeError:
        return old_head[:8] == new_head[:8]
    return old_head.decode("utf-8", "replace").splitlines()[:1] == new_line


def _replace_dir(staging: Path, out_dir: Path) -> None:
    """Put the folder ``staging`` at ``out_dir`` (same file system), whole."""
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if exchange_dirs(staging, out_dir):
        return  # staging now holds the previous folder; the caller removes it
    # Without an atomic swap the path is briefly empty; the old folder is never lost.
    old = Path(tempfile.mkdtemp(prefix=f".{_hidden_stem(out_dir.name)}.old-",
                               dir=out_dir.parent))
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


def write_file_atomically(path: Path, writer: Callable[[Path], Any],
                          option: str | None = None) -> Path:
    """Run ``writer(tmp)`` on a temporary file beside ``path``, then rename it over ``path``:
    a reader sees the old file or the new one, never half of one.

    Args:
        path: the file to write.
        writer: writes the content to the path it is given.
        option: the parameter that named ``path``, for errors (``output``).
    Raises:
        UsageError: ``path`` is an input of the running command (it would be replaced).
        OutputWriteError: the file cannot be written (disk full, permissions); any previous
            file at ``path`` is intact and the temporary file is gone.
    """
    refuse_input(path, option)
    fd, tmp = tempfile.mkstemp(prefix=f".{_hidden_stem(path.name)}.", suffix=".tmp",
                               dir=path.parent)
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
