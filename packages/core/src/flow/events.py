"""The in-process event bus.

Engines emit named events (``capacitor.applied``, ``capacitor.health_changed``,
…); anyone subscribes by exact name, by prefix (``"capacitor."``) or to
everything (``"*"``). A handler that raises is logged and never disturbs the
emitter or the other handlers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["Event", "EventBus", "Handler", "bus", "emit", "subscribe"]

logger = logging.getLogger("flow.events")


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened: its name, who emitted it, when, and details."""

    name: str
    source: str
    data: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    time: float = field(default_factory=time.time)


Handler = Callable[[Event], object]


class EventBus:
    """Synchronous publish/subscribe by name or prefix; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._exact: dict[str, tuple[Handler, ...]] = {}
        self._prefix: tuple[tuple[str, Handler], ...] = ()

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for events matching ``pattern``; returns an unsubscribe function.

        ``pattern`` is an exact name, a prefix ending in ``.`` or ``*``
        (``"capacitor."`` and ``"capacitor.*"`` are the same), or ``"*"`` for all.
        """
        is_prefix = pattern.endswith((".", "*"))
        prefix = pattern.rstrip("*")
        with self._lock:
            if is_prefix:
                self._prefix = (*self._prefix, (prefix, handler))
            else:
                self._exact[pattern] = (*self._exact.get(pattern, ()), handler)

        def unsubscribe() -> None:
            with self._lock:
                if is_prefix:
                    entries = list(self._prefix)
                    if (prefix, handler) in entries:
                        entries.remove((prefix, handler))
                    self._prefix = tuple(entries)
                else:
                    handlers = list(self._exact.get(pattern, ()))
                    if handler in handlers:
                        handlers.remove(handler)
                    self._exact[pattern] = tuple(handlers)

        return unsubscribe

    def has_subscribers(self, name: str) -> bool:
        """Whether emitting ``name`` would reach any handler (lets emitters skip work)."""
        return bool(self._exact.get(name)) or any(name.startswith(p) for p, _ in self._prefix)

    def emit(self, name: str, source: str = "", **data: Any) -> None:
        """Deliver an event to every matching handler, in subscription order."""
        # Handler tuples are replaced, never mutated, so reading them needs no lock.
        exact = self._exact.get(name, ())
        prefixed = [h for p, h in self._prefix if name.startswith(p)]
        if not exact and not prefixed:
            return
        event = Event(name, source, MappingProxyType(data))
        for handler in (*exact, *prefixed):
            try:
                handler(event)
            except Exception:
                logger.exception("event handler %r failed for %s", handler, name)


bus = EventBus()
subscribe = bus.subscribe
emit = bus.emit
