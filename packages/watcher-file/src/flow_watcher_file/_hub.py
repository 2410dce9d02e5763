"""One watchdog observer per process (per mode), shared by every file watcher.

Used for ``?poll=1`` and where inotify cannot be read on the event loop
(everything but Linux; see ``_inotify``).

An inotify observer costs three threads and one inotify instance (Linux allows
128 per user by default), so watchers share it: each watched directory is
scheduled once and its events fan out to the subscriptions on it. The
observer starts with the first watched directory and is stopped when the last
one is released; :func:`stop_observer` joins its threads off the event loop.

Lock order: :class:`ObserverHub` holds its own lock while calling the
observer (which takes the observer's lock); event handlers run under the
observer's lock and never take the hub's, so the two cannot deadlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from typing import Any, Protocol

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

__all__ = [
    "Directory",
    "Hub",
    "ObserverHub",
    "Subscriber",
    "Watched",
    "get_hub",
    "identity",
    "stop_observer",
]

# Opened/closed-without-writing are left out on purpose: the watcher's own
# reads would otherwise wake it again. Attribute changes stay in (chmod can
# make an unreadable file readable).
_EVENTS: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]

# Events that change a file's bytes or metadata but not which file a name leads to.
_CONTENT_EVENTS = (FileModifiedEvent, FileClosedEvent, FileAttribEvent)


class Subscriber(Protocol):
    """Told about every event in a watched directory (on the hub's thread, see ``Hub.threaded``)."""

    def notify(self, src: str, dest: str, moved: bool) -> None:
        """``moved``: an entry appeared, vanished or was renamed (not just written to)."""


class Watched(Protocol):
    """A directory as a hub watches it."""

    #: The directory's real path; event paths start with it.
    path: str
    #: Set once the watch can deliver nothing more (the directory was deleted).
    dead: bool
    #: (st_dev, st_ino) of the directory when the watch was placed.
    identity: tuple[int, int]


class Hub(Protocol):
    """Shares directory watches between subscribers: :class:`ObserverHub` or the inotify one."""

    #: True when subscribers are notified on another thread than the event loop's.
    threaded: bool

    def subscribe(self, path: str, subscriber: Subscriber) -> Watched:
        """Start telling ``subscriber`` about events in directory ``path``."""

    def unsubscribe(self, entry: Any, subscriber: Subscriber) -> BaseObserver | None:
        """Stop; returns an observer the caller must stop (:func:`stop_observer`), if any."""


class Directory(FileSystemEventHandler):
    """One scheduled directory and the subscribers its events fan out to."""

    def __init__(self, path: str, *, polled: bool) -> None:
        self.path = path
        # A scan may report a replaced symlink as merely modified: treat every event as a move.
        self._polled = polled
        # Replaced, never mutated, so the observer thread can iterate it unlocked.
        self.subscribers: tuple[Subscriber, ...] = ()
        self.watch: ObservedWatch | None = None
        #: Set when the directory itself was deleted: its watch is gone for good.
        self.dead = False
        #: (st_dev, st_ino) of the directory when scheduled: the watch follows that inode.
        self.identity = (0, 0)

    def dispatch(self, event: FileSystemEvent) -> None:
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.dest_path else ""
        if src == self.path and isinstance(event, DirDeletedEvent):
            self.dead = True
        moved = self._polled or not isinstance(event, _CONTENT_EVENTS)
        for subscriber in self.subscribers:
            subscriber.notify(src, dest, moved)


class ObserverHub:
    """Schedules directories on a lazily started observer, shared by subscribers."""

    threaded = True

    def __init__(self, poll: bool, interval: float) -> None:
        self._poll = poll
        self._interval = interval
        self._lock = threading.Lock()
        self._observer: BaseObserver | None = None
        self._directories: dict[str, Directory] = {}

    def subscribe(self, path: str, subscriber: Subscriber) -> Directory:
        """Add ``subscriber`` to directory ``path``, scheduling it if needed.

        Raises :class:`OSError` when the directory cannot be watched (gone,
        or the system's inotify limits are reached).
        """
        with self._lock:
            entry = self._directories.get(path)
            if entry is None or entry.dead:
                entry = self._schedule(path, replacing=entry)
            entry.subscribers = (*entry.subscribers, subscriber)
            return entry

    def unsubscribe(self, entry: Directory, subscriber: Subscriber) -> BaseObserver | None:
        """Remove ``subscriber``; returns the observer to stop when nothing is watched any more."""
        with self._lock:
            entry.subscribers = tuple(s for s in entry.subscribers if s is not subscriber)
            if entry.subscribers or self._directories.get(entry.path) is not entry:
                return None
            del self._directories[entry.path]
            self._unschedule(entry)
            if self._directories or self._observer is None:
                return None
            observer, self._observer = self._observer, None
            return observer

    def _schedule(self, path: str, *, replacing: Directory | None) -> Directory:
        if replacing is not None:
            # Same path, same ObservedWatch key: the dead watch must go first.
            self._unschedule(replacing)
            del self._directories[path]
        observer = self._observer
        if observer is None:
            observer = PollingObserver(timeout=self._interval) if self._poll else Observer()
            observer.start()
            self._observer = observer
        entry = Directory(path, polled=self._poll)
        try:
            entry.watch = observer.schedule(entry, path, event_filter=_EVENTS)
            entry.identity = identity(path)
        except BaseException:
            if entry.watch is not None:  # scheduled, then the directory vanished
                with contextlib.suppress(KeyError):
                    observer.unschedule(entry.watch)
            if not self._directories:
                self._observer = None
                _stop_now(observer)
            raise
        self._directories[path] = entry
        return entry

    def _unschedule(self, entry: Directory) -> None:
        if self._observer is not None and entry.watch is not None:
            # KeyError: already removed together with a dead emitter.
            with contextlib.suppress(KeyError):
                self._observer.unschedule(entry.watch)
        entry.watch = None


def identity(path: str) -> tuple[int, int]:
    """``(st_dev, st_ino)`` of ``path``; raises :class:`OSError` when it is gone."""
    info = os.stat(path)
    return info.st_dev, info.st_ino


_HUBS: dict[tuple[bool, float], ObserverHub] = {}
_HUBS_LOCK = threading.Lock()


def get_hub(poll: bool, interval: float) -> ObserverHub:
    """The process-wide hub for inotify-style observing, or for polling at ``interval``."""
    key = (poll, interval if poll else 0.0)
    with _HUBS_LOCK:
        hub = _HUBS.get(key)
        if hub is None:
            hub = _HUBS[key] = ObserverHub(poll, interval)
        return hub


def _stop_now(observer: BaseObserver) -> None:
    observer.stop()
    if observer.is_alive():
        observer.join()


async def stop_observer(observer: BaseObserver) -> None:
    """Stop ``observer`` and join its threads without blocking the event loop."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()

    def run() -> None:
        error: BaseException | None = None
        try:
            _stop_now(observer)
        except BaseException as exc:
            error = exc
        # RuntimeError: the loop is already closed; nobody is waiting any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve, done, error)

    # A dedicated thread rather than the default executor, so that nothing
    # outlives aclose(): the thread ends right after handing the result over.
    stopper = threading.Thread(target=run, name="flow-file-observer-stop", daemon=True)
    stopper.start()
    try:
        await asyncio.shield(done)
    finally:
        if done.done():
            # Only the thread's own exit is left: microseconds.
            stopper.join()


def _resolve(future: asyncio.Future[None], error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)
