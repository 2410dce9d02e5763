"""``FileWatcher``: a local file as a Flow watcher, on watchdog."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator

from flow.errors import SourceAuthError, SourceError, SourceTypeError
from flow.live.change import Change
from flow.live.uri import SourceURI

from . import _inotify, _read
from ._hub import Hub, get_hub, stop_observer
from ._source import FileSource
from ._subscription import Subscription

__all__ = ["DEFAULT_ERROR_GRACE", "RESCAN_INTERVAL", "FileAccessDenied", "FileWatcher"]

#: Seconds an unreadable file (permission denied, a directory, I/O error) is
#: retried before the watcher gives up with a :class:`~flow.SourceError`.
DEFAULT_ERROR_GRACE = 2.0
#: Seconds between safety re-reads while no event arrives: inotify drops events
#: when its queue overflows and cannot see a parent directory being renamed.
RESCAN_INTERVAL = 30.0
_RETRY_FIRST = 0.05
_RETRY_MAX = 0.5
_UNSET = object()


class FileAccessDenied(SourceAuthError, PermissionError):
    """The watched file stayed unreadable for this process (permission denied)."""


class FileWatcher:
    """Watches one local file through its parent directory.

    ``changes()`` yields the file's bytes now (``Change(None)`` when it does not
    exist), then again whenever its bytes or existence differ from what was last
    yielded: in-place writes, rename-saves, ``mv`` over it, deletion, and
    symlink swaps in its directory (Kubernetes ConfigMaps) are all seen.

    ``uri``: ``file:relative/path``, ``file:///absolute/path`` or a bare path;
    options ``poll=1`` (scan instead of inotify, for network filesystems) and
    ``interval=SECONDS`` (scan period with ``poll=1``, default 1).
    ``error_grace``: how long an unreadable file is retried before
    ``changes()`` raises (permission denied → :class:`FileAccessDenied`, a
    directory or FIFO → :class:`~flow.errors.SourceTypeError`, else
    :class:`~flow.SourceError`).
    ``rescan_interval``: seconds without events after which the file is
    re-located and re-read anyway (yielding only if its bytes changed).
    """

    def __init__(
        self,
        uri: SourceURI | str,
        *,
        error_grace: float = DEFAULT_ERROR_GRACE,
        rescan_interval: float = RESCAN_INTERVAL,
    ) -> None:
        parsed = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        self._source = FileSource.from_uri(parsed)
        self._error_grace = error_grace
        self._rescan = rescan_interval
        self._subscriptions: set[Subscription] = set()
        self._closed = False

    @property
    def path(self) -> str:
        """The absolute path of the watched file (symlinks not resolved)."""
        return self._source.path

    def __repr__(self) -> str:
        return f"FileWatcher({self._source.display!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The file's current state, then one ``Change`` per change of its bytes, until closed."""
        if self._closed:
            return
        source = self._source
        subscription = Subscription(_hub_for(source), source.path, source.display)
        self._subscriptions.add(subscription)
        try:
            change = await self._next(subscription, _UNSET)
            while change is not None:
                yield change
                # Nothing is re-read until an event says so (one may already be pending).
                await subscription.wait(self._rescan)
                change = await self._next(subscription, change.value)
        finally:
            self._subscriptions.discard(subscription)
            observer = subscription.close()
            if observer is not None:
                await stop_observer(observer)

    async def aclose(self) -> None:
        """Stop watching: every ``changes()`` iteration ends; no descriptor or thread is left.

        (The loop's inotify descriptor is closed with its last watcher; an
        observer's threads are joined.)
        """
        self._closed = True
        subscriptions, self._subscriptions = self._subscriptions, set()
        for subscription in subscriptions:
            observer = subscription.close()
            if observer is not None:
                await stop_observer(observer)

    async def _next(self, subscription: Subscription, last: object) -> Change | None:
        """The next observation that differs from ``last``; None once closed."""
        failing_since: float | None = None
        retry = _RETRY_FIRST
        while not subscription.closed:
            subscription.clear()  # before reading: a write during the read wakes us again
            if self._source.poll:
                # Scheduling a polled directory scans it, which can stall on a network share.
                await asyncio.to_thread(subscription.relocate)
            else:
                subscription.relocate()
            try:
                change = await self._read()
            except OSError as exc:
                now = time.monotonic()
                failing_since = now if failing_since is None else failing_since
                if now - failing_since >= self._error_grace:
                    raise _permanent(self._source, exc) from exc
                await subscription.wait(retry)
                retry = min(retry * 2, _RETRY_MAX)
                continue
            failing_since, retry = None, _RETRY_FIRST
            if last is _UNSET or change.value != last:
                return change
            await subscription.wait(self._rescan)
        return None

    async def _read(self) -> Change:
        if self._source.poll:
            # Network filesystems can stall on open() or read(): keep them off the loop.
            return await asyncio.to_thread(_read_blocking, self._source.path)
        opened = _read.open_file(self._source.path)
        if opened is None:
            return _read.absent()
        fd, info = opened
        try:
            # Local files are read on the loop (measured faster than a thread
            # hand-off for config-sized files), yielding between megabytes.
            parts: list[bytes] = []
            want = min(info.st_size + 1, _read.CHUNK)
            while chunk := os.read(fd, want):
                parts.append(chunk)
                if len(chunk) < want:
                    break  # a short read of a regular file is its end
                want = _read.CHUNK
                await asyncio.sleep(0)
        finally:
            os.close(fd)
        data = parts[0] if len(parts) == 1 else b"".join(parts)
        return Change(data, _read.revision(info))


def _hub_for(source: FileSource) -> Hub:
    """inotify read on the loop (Linux), else watchdog's observer threads (and for ``poll=1``)."""
    if _inotify.AVAILABLE and not source.poll:
        return _inotify.loop_hub()
    return get_hub(source.poll, source.interval)


def _read_blocking(path: str) -> Change:
    opened = _read.open_file(path)
    if opened is None:
        return _read.absent()
    fd, info = opened
    try:
        return Change(_read.read_all(fd), _read.revision(info))
    finally:
        os.close(fd)


def _permanent(source: FileSource, exc: OSError) -> SourceError:
    where = f"{source.display} ({source.path})"
    if isinstance(exc, PermissionError):
        return FileAccessDenied(
            f"cannot read {where}: permission denied; give this process read access to the file "
            "and execute access to its directories"
        )
    if isinstance(exc, _read.NotARegularFile):
        return SourceTypeError(f"{where} is {exc.strerror}; point the URI at a regular file")
    return SourceError(f"cannot read {where}: {exc.strerror or exc}")
