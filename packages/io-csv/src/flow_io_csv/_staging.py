"""Files beside a csv store's target: staging files, the lock, atomic replacement."""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
from pathlib import Path

from ._errors import CsvError

__all__ = ["StoreFiles"]


class StoreFiles:
    """Staging files live in the target's directory, so ``os.replace`` is an atomic rename.

    Names start with a dot and carry the target's name: ``.orders.csv.flow-staging-<id>``.
    A lock file (``.orders.csv.flow-lock``, held with ``flock``) keeps two runs from
    writing one store at once; the kernel drops it when a process dies, so a
    killed run never leaves the store locked.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self.directory = target.parent
        self._prefix = f".{target.name}.flow-staging-"
        self._lock_fd: int | None = None

    def lock(self, where: str) -> None:
        """Take the store's lock (or fail at once, naming the store)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.directory / f".{self.target.name}.flow-lock", os.O_RDWR | os.O_CREAT)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise CsvError(
                f"{where}: another run is writing this store; try again when it ends"
            ) from None
        self._lock_fd = fd

    def unlock(self) -> None:
        """Release the lock (idempotent)."""
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            os.close(fd)

    def new_staging(self, suffix: str) -> Path:
        """A fresh staging path (nothing is created yet)."""
        return self.directory / f"{self._prefix}{uuid.uuid4().hex}{suffix}"

    def remove_leftovers(self) -> None:
        """Delete staging files of runs that crashed (call with the lock held)."""
        for path in self.directory.glob(f"{self._prefix}*"):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    def publish(self, staging: Path, *, durable: bool) -> None:
        """Atomically make ``staging`` the target (a reader sees the old or the new file)."""
        if durable:
            _fsync(staging)
        os.replace(staging, self.target)
        if durable:
            _fsync(self.directory)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
