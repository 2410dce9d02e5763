"""Change listeners: registration by exact path or prefix, and safe dispatch."""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from ._paths import MASK, Path, is_secret_key, join

__all__ = ["MISSING", "ChangeEvent", "Handler", "Listeners"]

logger = logging.getLogger("flow.state")


class _Missing:
    """The value of a path that does not exist (before it was created, after it was deleted)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "MISSING"

    def __reduce__(self) -> str:
        return "MISSING"


#: ``old`` of a created path and ``new`` of a deleted one.
MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class ChangeEvent:
    """One changed leaf path: its value before and after, and what made the change.

    ``old`` is :data:`MISSING` when the path was created, ``new`` when it was deleted.
    ``source`` is ``"set"`` (assignment), ``"update"``, a source name such as
    ``"yaml:config.yml"`` or ``"bind:<uri>"``.
    """

    path: str
    old: Any
    new: Any
    source: str

    def __repr__(self) -> str:
        secret = any(is_secret_key(part) for part in self.path.split("."))
        old = MASK if secret and self.old is not MISSING else repr(self.old)
        new = MASK if secret and self.new is not MISSING else repr(self.new)
        return f"ChangeEvent(path={self.path!r}, old={old}, new={new}, source={self.source!r})"


Handler = Callable[[ChangeEvent], object]


class Listeners:
    """Handlers keyed by path; a handler sees changes at its path and anywhere below it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Tuples are replaced, never mutated, so dispatch reads them without the lock.
        self._by_path: dict[Path, tuple[Handler, ...]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def active(self) -> bool:
        """Whether any handler is registered (lets writers skip building events)."""
        return bool(self._by_path)

    def add(self, path: Path, handler: Handler) -> Callable[[], None]:
        """Register ``handler`` for ``path``; returns a function that removes it."""
        if not callable(handler):
            raise TypeError(f"on_change needs a callable handler, not {handler!r}")
        with self._lock:
            self._by_path[path] = (*self._by_path.get(path, ()), handler)

        def remove() -> None:
            with self._lock:
                handlers = list(self._by_path.get(path, ()))
                if handler in handlers:
                    handlers.remove(handler)
                if handlers:
                    self._by_path[path] = tuple(handlers)
                else:
                    self._by_path.pop(path, None)

        return remove

    def dispatch(self, changes: Iterable[tuple[Path, Any, Any]], source: str) -> None:
        """Call each matching handler once per changed path, in registration order."""
        by_path = self._by_path
        for path, old, new in changes:
            handlers: list[Handler] = []
            for depth in range(len(path) + 1):
                found = by_path.get(path[:depth])
                if found:
                    handlers.extend(found)
            if not handlers:
                continue
            event = ChangeEvent(join(path), old, new, source)
            for handler in handlers:
                self._call(handler, event)

    def _call(self, handler: Handler, event: ChangeEvent) -> None:
        try:
            result = handler(event)
        except Exception:
            # One broken listener must not stop the others, nor undo the change.
            logger.exception("config listener %r failed for %s", handler, event.path)
            return
        if inspect.isawaitable(result):
            self._schedule(handler, event, result)

    def _schedule(self, handler: Handler, event: ChangeEvent, awaitable: Any) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            if inspect.iscoroutine(awaitable):
                awaitable.close()
            logger.error(
                "config listener %r is async but the change to %s happened outside an event "
                "loop; make the handler synchronous or change the value from async code",
                handler,
                event.path,
            )
            return
        task = loop.create_task(_guarded(handler, event, awaitable))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _guarded(handler: Handler, event: ChangeEvent, awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("config listener %r failed for %s", handler, event.path)
