"""Reading the watched file into a :class:`~flow.live.change.Change`."""

from __future__ import annotations

import errno
import os
import stat

from flow.live.change import Change

__all__ = ["CHUNK", "NotARegularFile", "absent", "open_file", "read_all", "read_chunk", "revision"]

#: Bytes read per call; the watcher yields to the event loop between chunks.
CHUNK = 1 << 20

# O_NONBLOCK: opening a FIFO that has no writer would otherwise hang; it has no
# effect on regular files. O_CLOEXEC: never leak the descriptor into children.
_FLAGS = os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0)


class NotARegularFile(OSError):
    """The path exists but is a directory, FIFO, socket or device."""


def open_file(path: str) -> tuple[int, os.stat_result] | None:
    """Open ``path`` (following symlinks) and stat it; None when it does not exist.

    Raises :class:`OSError` for anything but absence (permission denied, a loop
    of symlinks, a directory or other non-regular file, I/O errors).
    """
    try:
        fd = os.open(path, _FLAGS)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise NotARegularFile(errno.EISDIR if kind == "a directory" else errno.EINVAL, kind)
    except BaseException:
        os.close(fd)
        raise
    return fd, info


def read_chunk(fd: int) -> bytes:
    """Up to :data:`CHUNK` bytes from ``fd``; ``b""`` at end of file."""
    return os.read(fd, CHUNK)


def read_all(fd: int) -> bytes:
    """Everything left in ``fd`` (for use off the event loop)."""
    parts = []
    while chunk := os.read(fd, CHUNK):
        parts.append(chunk)
    return b"".join(parts)


def revision(info: os.stat_result) -> str:
    """A revision that changes with every replacement or write: mtime, size and inode."""
    return f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


def absent() -> Change:
    """The observation of a missing file."""
    return Change(None, None)
