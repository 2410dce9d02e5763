"""Linux: inotify read on the event loop itself, so no thread sits between a write and a reader.

watchdog's observer hands each event from its inotify thread to an emitter
thread, then to a dispatch thread, then (our part) to the event loop with
``call_soon_threadsafe``; the thread hand-offs were most of the delivery
latency. Here one inotify descriptor per event loop is registered with
``loop.add_reader``: the kernel's queue is read, and subscriptions woken, in
the loop's own callback.

The system calls are watchdog's own ctypes binding
(``watchdog.observers.inotify_c``: ``inotify_init``, ``inotify_add_watch``,
``inotify_rm_watch`` and the ``IN_*`` constants). Its ``InotifyFD`` is not
used: it is a thread, reads with a blocking ``poll()`` and only closes its
descriptor from that thread. The 16-byte event header is unpacked here with
``struct``: watchdog's parser is a private method of that thread class.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import os
import struct
import sys
import weakref
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._hub import Subscriber, identity

if TYPE_CHECKING:
    from watchdog.observers.api import BaseObserver

__all__ = ["AVAILABLE", "InotifyDirectory", "LoopHub", "loop_hub"]

from watchdog.utils import UnsupportedLibcError

try:
    if not sys.platform.startswith("linux"):
        raise ImportError("inotify is Linux only")
    from watchdog.observers import inotify_c
except (ImportError, OSError, UnsupportedLibcError):  # not Linux, or a libc without inotify
    inotify_c = None  # type: ignore[assignment]

#: Whether this process reads inotify on the event loop. When False (not Linux,
#: or a libc without inotify), watchers use watchdog's observer threads.
AVAILABLE = inotify_c is not None

_HEADER = struct.Struct("iIII")  # struct inotify_event: wd, mask, cookie, len; then the name


def _masks() -> tuple[int, int, int]:
    """(the watch mask, content-only events, the watch's own end)."""
    c = inotify_c.InotifyConstants
    # The events watchdog's emitter subscribes to for FileWatcher's event filter,
    # plus IN_MOVE_SELF: the watched directory renamed away is noticed at once
    # (the observer can only notice it at the safety rescan).
    watch = (
        c.IN_MODIFY
        | c.IN_ATTRIB
        | c.IN_CLOSE_WRITE
        | c.IN_MOVED_FROM
        | c.IN_MOVED_TO
        | c.IN_CREATE
        | c.IN_DELETE
        | c.IN_DELETE_SELF
        | c.IN_MOVE_SELF
        | c.IN_ONLYDIR
        | c.IN_DONT_FOLLOW
    )
    return watch, c.IN_MODIFY | c.IN_ATTRIB | c.IN_CLOSE_WRITE, c.IN_DELETE_SELF | c.IN_IGNORED


class InotifyDirectory:
    """One watched directory (an inotify watch) and the subscribers its events fan out to."""

    def __init__(self, path: str, wd: int, info: tuple[int, int]) -> None:
        self.path = path
        self.wd = wd
        self.subscribers: tuple[Subscriber, ...] = ()
        #: Set when the directory was deleted (or its watch otherwise ended).
        self.dead = False
        #: (st_dev, st_ino) of the directory when watched: the watch follows that inode.
        self.identity = info

    def notify(self, name: str, moved: bool) -> None:
        src = os.path.join(self.path, name) if name else self.path
        for subscriber in self.subscribers:
            subscriber.notify(src, "", moved)


class LoopHub:
    """One inotify descriptor on one event loop, shared by that loop's file watchers.

    Every method runs on the loop's thread. The descriptor is opened with the
    first watched directory and removed from the loop and closed with the last.
    """

    threaded = False

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        # Weak: the registry below maps loop -> hub and must not keep a closed loop alive.
        self._loop = weakref.ref(loop)
        self._fd = -1
        self._mask, self._content, self._ended = _masks()
        self._directories: dict[str, InotifyDirectory] = {}
        # A list per descriptor: two paths to one inode (bind mounts) share a watch.
        self._by_wd: dict[int, list[InotifyDirectory]] = {}

    @property
    def fd(self) -> int:
        """The inotify descriptor, -1 while nothing is watched."""
        return self._fd

    def subscribe(self, path: str, subscriber: Subscriber) -> InotifyDirectory:
        """Add ``subscriber`` to directory ``path``, watching it if needed.

        Raises :class:`OSError` when the directory cannot be watched (gone, not
        a directory, or the system's inotify limits are reached).
        """
        entry = self._directories.get(path)
        if entry is None or entry.dead:
            entry = self._watch(path, replacing=entry)
        entry.subscribers = (*entry.subscribers, subscriber)
        return entry

    def unsubscribe(self, entry: InotifyDirectory, subscriber: Subscriber) -> BaseObserver | None:
        """Remove ``subscriber``; closes the descriptor once nothing is watched. Returns None."""
        entry.subscribers = tuple(s for s in entry.subscribers if s is not subscriber)
        if not entry.subscribers and self._directories.get(entry.path) is entry:
            del self._directories[entry.path]
            self._unwatch(entry)
            if not self._directories:
                self.close()
        return None

    def close(self) -> None:
        """Remove the descriptor from the loop and close it (idempotent)."""
        fd, self._fd = self._fd, -1
        if fd < 0:
            return
        loop = self._loop()
        if loop is not None:
            if _HUBS.get(loop) is self:
                del _HUBS[loop]
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.remove_reader(fd)
        os.close(fd)  # the kernel drops every watch with it
        for entry in self._directories.values():
            entry.dead = True
        self._directories.clear()
        self._by_wd.clear()

    def _open(self) -> int:
        if self._fd < 0:
            fd = inotify_c.inotify_init()
            if fd < 0:
                raise _last_error("inotify_init")
            # Made by ctypes, so Python's defaults do not apply: never block the
            # loop on a read, never leak into child processes.
            os.set_blocking(fd, False)
            os.set_inheritable(fd, False)
            loop = self._loop()
            try:
                if loop is None:
                    raise RuntimeError("the event loop of this file watcher is gone")
                loop.add_reader(fd, self._on_readable)
            except BaseException:
                os.close(fd)
                raise
            self._fd = fd
            # Normally already there; a hub that closed and is used again takes its place back.
            _HUBS.setdefault(loop, self)
        return self._fd

    def _watch(self, path: str, *, replacing: InotifyDirectory | None) -> InotifyDirectory:
        if replacing is not None:
            del self._directories[path]
            self._unwatch(replacing)
        fd = self._open()
        try:
            wd = inotify_c.inotify_add_watch(fd, os.fsencode(path), self._mask)
            if wd < 0:
                raise _last_error(path)
            entry = InotifyDirectory(path, wd, identity(path))
        except BaseException:
            if not self._directories:
                self.close()
            raise
        self._directories[path] = entry
        self._by_wd.setdefault(wd, []).append(entry)
        return entry

    def _unwatch(self, entry: InotifyDirectory) -> None:
        sharing = self._by_wd.get(entry.wd)
        if sharing is None or entry not in sharing:
            return  # the kernel already ended this watch (IN_IGNORED)
        sharing.remove(entry)
        if not sharing:
            del self._by_wd[entry.wd]
            # -1 (EINVAL) when the watch ended meanwhile; its IN_IGNORED is still queued.
            inotify_c.inotify_rm_watch(self._fd, inotify_c.WatchDescriptor(entry.wd))

    def _on_readable(self) -> None:
        try:
            data = os.read(self._fd, inotify_c.DEFAULT_EVENT_BUFFER_SIZE)
        except BlockingIOError:
            return  # another callback of this iteration read it first
        for wd, mask, name in _parse(data):
            if mask & inotify_c.InotifyConstants.IN_Q_OVERFLOW:
                # Events were lost: every watched file must be re-read (and re-located).
                for entry in list(self._directories.values()):
                    entry.notify("", True)
            else:
                self._dispatch(wd, mask, name)

    def _dispatch(self, wd: int, mask: int, name: str) -> None:
        entries = self._by_wd.get(wd)
        if not entries:
            return  # a watch removed a moment ago
        if mask & self._ended:  # the directory is gone: its watch ended for good
            for entry in entries:
                entry.dead = True
            if mask & inotify_c.InotifyConstants.IN_IGNORED:
                del self._by_wd[wd]
        moved = not (mask & self._content)
        for entry in tuple(entries):
            entry.notify(name, moved)


def _parse(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(watch descriptor, mask, name) for each event in a buffer read from inotify."""
    offset, size = 0, _HEADER.size
    while offset + size <= len(data):
        wd, mask, _cookie, length = _HEADER.unpack_from(data, offset)
        start = offset + size
        name = data[start : start + length].rstrip(b"\0")
        offset = start + length
        yield wd, mask, os.fsdecode(name)


def _last_error(what: str) -> OSError:
    code = ctypes.get_errno() or errno.EIO
    # OSError picks the subclass (FileNotFoundError, PermissionError, ...) from the code.
    return OSError(code, os.strerror(code), what)


_HUBS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopHub] = weakref.WeakKeyDictionary()


def loop_hub() -> LoopHub:
    """The running loop's inotify hub (made on first use); only when :data:`AVAILABLE`."""
    loop = asyncio.get_running_loop()
    hub = _HUBS.get(loop)
    if hub is None:
        hub = _HUBS[loop] = LoopHub(loop)
    return hub
