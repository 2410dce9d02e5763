"""On-disk layout of a parquet store, and the atomic publish by symlink swap.

::

    out/orders                -> .orders.flow/v-<ns>-<id>   (symlink: the published table)
    out/.orders.flow/
        lock                  flock held from begin() to publish()/abort()
        staging-<id>/         being written; never visible to readers
        v-<ns>-<id>/          published versions: the current one and the previous

Why a symlink: POSIX cannot rename a directory over a non-empty one, but it can
``rename(2)`` a new symlink over an old one atomically. A reader that opens
``out/orders/...`` therefore sees the old or the new version, never a mix; file
names carry the run id, so a reader that listed an old version and opens its
files after a swap gets the old files (kept one publish longer) rather than
new files of the same name. The hidden directory is a sibling, so renames stay
on one filesystem. A SIGKILL at any point leaves the old or the new version
published; leftovers are removed by the next ``begin()``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import time
import uuid
from pathlib import Path

from ._errors import ParquetError, StoreBusyError

__all__ = ["StoreLayout", "fsync_path", "new_run_id"]


def new_run_id() -> str:
    """A sortable, unique id for one run's files (``<ns>-<hex>``)."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


def fsync_path(path: Path) -> None:
    """fsync a file or directory (durability across power loss, not needed for crashes)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class StoreLayout:
    """The published symlink ``target`` and its hidden sibling directory."""

    def __init__(self, target: Path) -> None:
        self.target = Path(os.path.abspath(target))
        self.root = self.target.parent / f".{self.target.name}.flow"
        self._lock_fd: int | None = None

    def lock(self) -> None:
        """Take the store's lock (released by :meth:`unlock` or when the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreBusyError(
                f"parquet store {self.target} is being written by another run; "
                "wait for it to finish (two runs must not write one store at once)"
            ) from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the lock if held (idempotent)."""
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def current(self) -> Path | None:
        """The published version directory, or None before the first publish."""
        if self.target.is_symlink():
            resolved = Path(os.path.realpath(self.target))
            return resolved if resolved.is_dir() else None
        if self.target.exists():
            raise ParquetError(
                f"parquet store path {self.target} exists and is not managed by Flow "
                "(Flow publishes it as a symlink to a versioned directory); move it away "
                "or choose another store.path"
            )
        return None

    def new_staging(self, run_id: str) -> Path:
        """A fresh, empty staging directory for ``run_id``."""
        staging = self.root / f"staging-{run_id}"
        staging.mkdir(parents=True)
        return staging

    def cleanup(self, keep_previous: bool) -> None:
        """Remove staging leftovers and old versions (keep the current one, and the previous)."""
        if not self.root.is_dir():
            return
        current = self.current()
        versions = sorted(p for p in self.root.glob("v-*") if p != current)
        kept = {versions[-1]} if keep_previous and versions else set()
        for entry in self.root.iterdir():
            if entry.is_dir() and entry != current and entry not in kept:
                shutil.rmtree(entry, ignore_errors=True)

    def publish(self, staging: Path, run_id: str, *, durable: bool) -> Path:
        """Rename ``staging`` into a version and swap the symlink to it atomically."""
        version = self.root / f"v-{run_id}"
        if durable:
            for part in staging.iterdir():
                fsync_path(part)
            fsync_path(staging)
        os.replace(staging, version)
        link = self.target.parent / f".{self.target.name}.link-{run_id}"
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        os.symlink(os.path.relpath(version, self.target.parent), link)
        os.replace(link, self.target)
        if durable:
            fsync_path(self.root)
            fsync_path(self.target.parent)
        return version

    def remove_stray_links(self) -> None:
        """Remove temporary symlinks a crash may have left beside the target."""
        for stray in self.target.parent.glob(f".{self.target.name}.link-*"):
            with contextlib.suppress(FileNotFoundError):
                stray.unlink()
