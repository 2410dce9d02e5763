"""One iteration's link to the observer: where it watches and which events wake it."""

from __future__ import annotations

import asyncio
import errno
import os

from flow.errors import SourceError
from watchdog.observers.api import BaseObserver

from ._hub import Hub, Watched, identity
from ._paths import locate

__all__ = ["Subscription"]

# Relocating only loops while directories keep appearing or vanishing under it.
_MAX_RELOCATIONS = 64


class Subscription:
    """Wakes one ``changes()`` iteration when an entry that concerns its file changes.

    The hub calls :meth:`notify`. From an observer thread at most one wake-up
    is in flight at a time (``_scheduled``), so a burst of events costs one
    hand-over to the loop, and the read that follows sees everything before
    it. The inotify hub calls it on the loop, which is woken directly.
    """

    def __init__(self, hub: Hub, target: str, display: str) -> None:
        self._hub = hub
        self._threaded = hub.threaded
        self._target = target
        self._display = display
        self._loop = asyncio.get_running_loop()
        self._pending = asyncio.Event()
        self._scheduled = False
        self._entry: Watched | None = None
        # Read by the observer thread; replaced (never mutated) by the loop.
        self._directory = ""
        self._located = ""  # the directory as locate() named it (symlinks unresolved)
        self._names: frozenset[str] = frozenset()
        # Whether an entry concerning the file moved since the last relocate():
        # only then can the directory or the names to match have changed.
        self._stale = True
        self.closed = False

    def notify(self, src: str, dest: str, moved: bool) -> None:
        """The hub's thread: wake the iteration if ``src`` or ``dest`` concerns the file."""
        if self.closed or not (self._concerns(src) or (dest and self._concerns(dest))):
            return
        if moved:
            self._stale = True
        if not self._threaded:
            self._pending.set()  # already on the loop: nothing to hand over
            return
        if self._scheduled:
            return
        self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._wake)
        except RuntimeError:
            self._scheduled = False  # the loop is closed; there is nobody to wake

    def _concerns(self, path: str) -> bool:
        directory, _, name = path.rpartition(os.sep)
        return path == self._directory or (directory == self._directory and name in self._names)

    def _wake(self) -> None:
        self._scheduled = False
        self._pending.set()

    def relocate(self) -> None:
        """Watch the right directory for the file as things stand now (see ``locate``)."""
        entry = self._entry
        if not self._stale and entry is not None and not entry.dead:
            return  # measured: locate() was most of the watcher's own time per change
        for _ in range(_MAX_RELOCATIONS):
            self._stale = False  # before locating: a move from now on marks it again
            located, names = locate(self._target)
            self._names = names
            entry = self._entry
            if entry is not None and located == self._located and not entry.dead:
                if _same_directory(entry):
                    return
                # Renamed away (inotify follows the inode): that watch is useless to everyone.
                entry.dead = True
            # Watchdog reports event paths under the directory as scheduled: the real one.
            directory = os.path.realpath(located)
            # Set first: events that arrive while subscribing must already match.
            self._located, self._directory = located, directory
            try:
                new = self._hub.subscribe(directory, self)
            except (FileNotFoundError, NotADirectoryError):
                continue  # vanished between locate() and the watch; look again
            except OSError as exc:
                raise _watch_failed(self._display, directory, exc) from exc
            self._entry = new
            if entry is not None:
                self._hub.unsubscribe(entry, self)
            # Loop once more: a directory may have appeared before the watch did.
        raise SourceError(
            f"cannot settle on a directory to watch for {self._display}: its directories keep "
            "appearing and vanishing"
        )

    def clear(self) -> None:
        """Forget past wake-ups; call right before reading the file."""
        self._pending.clear()

    async def wait(self, timeout: float | None = None) -> None:
        """Until something concerning the file happens, the subscription closes, or ``timeout``.

        A timeout counts as a possible move too: the next read re-locates the file.
        """
        if timeout is None:
            await self._pending.wait()
            return
        # A timer rather than asyncio.wait_for: no extra task on the delivery path.
        timer = self._loop.call_later(timeout, self._refresh)
        try:
            await self._pending.wait()
        finally:
            timer.cancel()

    def _refresh(self) -> None:
        self._stale = True
        self._pending.set()

    def close(self) -> BaseObserver | None:
        """Stop watching (idempotent); returns the observer to stop if this was its last use."""
        self.closed = True
        self._pending.set()
        entry, self._entry = self._entry, None
        return None if entry is None else self._hub.unsubscribe(entry, self)


def _same_directory(entry: Watched) -> bool:
    try:
        return identity(entry.path) == entry.identity
    except OSError:
        return False


def _watch_failed(display: str, directory: str, exc: OSError) -> SourceError:
    if exc.errno in (errno.ENOSPC, errno.EMFILE):
        return SourceError(
            f"cannot watch {directory!r} for {display}: the system's inotify limit is reached "
            f"({exc.strerror}); raise fs.inotify.max_user_watches / max_user_instances, "
            "or add ?poll=1 to the URI"
        )
    if isinstance(exc, PermissionError):
        return SourceError(
            f"cannot watch {directory!r} for {display}: permission denied; "
            "give this process read access to the directory"
        )
    return SourceError(f"cannot watch {directory!r} for {display}: {exc.strerror or exc}")
