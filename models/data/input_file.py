"""Whether an input path can be read whole: a regular file, of a bounded size."""

from __future__ import annotations

import os
import stat

from models.data.schema import problem_error

#: largest production, guidance or period totals file read (a plant's history is kilobytes)
MAX_TABLE_BYTES = 256 * 1024 * 1024
_FILE_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
               (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISSOCK, "a socket"))

# The files read as inputs since the last ``forget_inputs``, by (device, inode): an output
# must never replace one of them (forecast.files checks), whatever name or link reaches it.
_INPUTS: dict[tuple[int, int], str] = {}


def note_input(path: str | os.PathLike[str]) -> None:
    """Record ``path`` (an existing file) as an input of the running command, so no output
    of the command replaces it; a path that cannot be stat-ed is not recorded."""
    try:
        st = os.stat(path)
    except OSError:
        return
    _INPUTS[(st.st_dev, st.st_ino)] = str(path)


def input_at(path: str | os.PathLike[str]) -> str | None:
    """The name an input of the running command was read under, when ``path`` is that same
    file (same device and inode: a hard or symbolic link counts), else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _INPUTS.get((st.st_dev, st.st_ino))


def forget_inputs() -> None:
    """Start a new command: no file counts as its input yet (the CLI calls this first)."""
    _INPUTS.clear()


def check_input_file(path: str | os.PathLike[str], max_bytes: int | None = None) -> int:
    """The size in bytes of an input file that can be read whole: it exists, is a regular
    file (a named pipe would block forever, a device never ends) and holds at most
    ``max_bytes``.

    Raises:
        DataValidationError: one line naming the file and what was expected.
    """
    source = str(path)
    try:
        st = os.stat(source)
    except FileNotFoundError:
        raise problem_error(source, 0, "file", "expected an existing file, found none") from None
    except OSError as exc:
        raise problem_error(source, 0, "file", f"expected a readable file, found "
                    f"{exc.strerror or type(exc).__name__}") from None
    if not stat.S_ISREG(st.st_mode):
        kind = next((name for test, name in _FILE_KINDS if test(st.st_mode)), "not a file")
        raise problem_error(source, 0, "file", f"expected a regular file, found {kind}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise problem_error(source, 0, "file", f"expected at most {max_bytes:,} bytes, found "
                    f"{st.st_size:,}")
    _INPUTS[(st.st_dev, st.st_ino)] = source
    return int(st.st_size)
