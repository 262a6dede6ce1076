"""The file-system side of publishing: digests, manifests, the ROOT lock, atomic swaps.

Kept apart from the job itself (``forecast.publish``) so the guarantees -- a folder is either
a complete publication or absent, one publish per ROOT at a time, ``latest`` replaced by
rename -- can be read and tested on their own.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forecast.files import exchange_dirs, fault_point, os_reason, pid_lock, sha256_file
from forecast.publish.joblog import JobLog
from forecast.publish.request import PublishIOError
from models.core.errors import PublishConflictError

#: files of a publication, in the order they are written (the manifest last)
FILES = ("monthly.csv", "quarterly.csv", "annual.json", "fan_chart.png", "guidance_chart.png",
         "track_record.csv", "report.html", "manifest.json")
#: files a publication made before the track record existed holds (still complete)
FILES_BEFORE_TRACK_RECORD = tuple(f for f in FILES if f != "track_record.csv")
LOCK_NAME = ".publish.lock"
LATEST = "latest"
STAGING_PREFIX = ".staging-"
_AS_OF_DIR = re.compile(r"^\d{4}-\d{2}$")


class PublishLockedError(PublishConflictError):
    """Another publish holds ROOT's lock; nothing was written (retry later)."""


def read_manifest(folder: Path) -> dict[str, Any] | None:
    """``manifest.json`` of ``folder`` if the folder is a complete publication, else None.

    Complete: the manifest parses, lists exactly ``FILES`` (or, made before the track
    record, ``FILES_BEFORE_TRACK_RECORD``) less itself, and every file's
    sha256 matches.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
        if sorted(files) not in (sorted(f for f in fs if f != "manifest.json")
                                 for fs in (FILES, FILES_BEFORE_TRACK_RECORD)):
            return None
        if any(sha256_file(folder / name) != digest for name, digest in files.items()):
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return manifest


def key_digest(key: dict[str, Any]) -> str:
    """sha256 of the idempotency key as sorted, compact JSON."""
    text = json.dumps(key, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@contextlib.contextmanager
def root_lock(root: Path) -> Iterator[None]:
    """Hold ROOT's publish lock (``fcntl.flock``, non-blocking) for the block.

    Raises:
        PublishLockedError: another process holds it (exit 75).
    """
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    with pid_lock(fd, lambda holder: PublishLockedError(
            f"{path}: another publish (pid {holder}) is running in this root; nothing "
            f"written, retry when it ends")):
        yield


def publications(root: Path) -> list[Path]:
    """Published folders ``ROOT/<year>/<as_of>`` (not superseded, not staging), by as-of."""
    found = [p for y in root.glob("[0-9][0-9][0-9][0-9]") if y.is_dir()
             for p in y.iterdir() if _AS_OF_DIR.match(p.name) and p.is_dir()]
    return sorted(found, key=lambda p: p.name)


def update_latest(root: Path) -> Path | None:
    """Point ``ROOT/latest`` at the publication of the latest as-of, atomically.

    A relative symlink is created under a temporary name and renamed over the old one.
    Returns the folder it points at (None when ROOT holds no publication).
    """
    pubs = publications(root)
    if not pubs:
        return None
    target = os.path.relpath(pubs[-1], root)
    link = root / LATEST
    if link.is_symlink() and os.readlink(link) == target:
        return pubs[-1]
    tmp = root / f".{LATEST}.tmp-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    fault_point("latest-staged")
    os.replace(tmp, link)
    return pubs[-1]


def superseded_name(folder: Path) -> Path:
    """``<as_of>.superseded-<UTC timestamp>`` next to ``folder``, made unique if taken."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    cand = folder.with_name(f"{folder.name}.superseded-{stamp}")
    n = 1
    while cand.exists():
        n += 1
        cand = folder.with_name(f"{folder.name}.superseded-{stamp}-{n}")
    return cand


def recover(root: Path, job: JobLog | None = None) -> list[str]:
    """Tidy what a killed publish left in ROOT; call with the lock held.

    A staging folder holding a complete publication older than the one now in place was
    swapped out by a killed ``force`` publish: it is kept as ``.superseded-*``. Any other
    staging folder (an unfinished publish) and temporary ``latest`` links are removed,
    and ``latest`` is pointed at the latest as-of. Returns one note per action.
    """
    notes = []
    for tmp in root.glob(f".{LATEST}.tmp-*"):
        tmp.unlink(missing_ok=True)
    for stage in sorted(root.glob(f"{STAGING_PREFIX}*")):
        old = read_manifest(stage)
        current = None
        if old is not None:
            place = root / str(old["year"]) / str(old["as_of"])
            current = read_manifest(place)
        if old is not None and current is not None and current["created_at"] > old["created_at"]:
            kept = superseded_name(place)
            os.rename(stage, kept)
            notes.append(f"kept a swapped-out publication as {kept.relative_to(root)}")
        else:
            shutil.rmtree(stage, ignore_errors=True)
            notes.append(f"removed unfinished staging folder {stage.name}")
    update_latest(root)
    for note in notes:
        if job is not None:
            job.event("recover", note=note)
    return notes


def place(stage: Path, target: Path, job: JobLog) -> tuple[bool, Path | None]:
    """Move the staged folder to ``target``; an existing target is kept as superseded.

    Returns (placed, where the previous publication was kept or None). After an atomic
    swap the staging path holds the previous publication: if moving it aside fails, it is
    left there for ``recover`` (it is complete and older than the one in place).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        os.rename(stage, target)
        fault_point("placed")
        return True, None
    kept = superseded_name(target)
    if exchange_dirs(stage, target):
        fault_point("exchanged")
        try:
            os.rename(stage, kept)
        except OSError as exc:
            job.event("place", logging.ERROR, status="kept-in-staging", error=exc)
            return True, stage
    else:
        # Without an atomic swap the path is briefly empty; the old folder is never lost.
        os.rename(target, kept)
        fault_point("exchanged")
        os.rename(stage, target)
    fault_point("placed")
    return True, kept


def update_latest_or_raise(root: Path, placed_at: Path | None = None) -> Path | None:
    """``update_latest``, its failure named as a ``PublishIOError`` (exit 74).

    The publications themselves are complete either way; a rerun of the same command finds
    its publication unchanged and points ``latest`` again.
    """
    try:
        return update_latest(root)
    except OSError as exc:
        done = (f"the publication is in place at {placed_at}" if placed_at is not None
                else "every publication is intact")
        raise PublishIOError(f"{root / LATEST}: cannot update the link ({os_reason(exc)}); "
                             f"{done}; rerun the same command to point it") from exc
