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
        self._entries: tuple[tuple[bool, str, Handler], ...] = ()
        self._routes: dict[str, tuple[Handler, ...]] = {}

    def subscribe(self, pattern: str, handler: Handler) -> Callable[[], None]:
        """Call ``handler`` for events matching ``pattern``; returns an unsubscribe function.

        ``pattern`` is an exact name, a prefix ending in ``.`` or ``*``
        (``"capacitor."`` and ``"capacitor.*"`` are the same), or ``"*"`` for all.
        """
        entry = (pattern.rstrip("*") if pattern.endswith((".", "*")) else pattern, handler)
        is_prefix = pattern.endswith((".", "*"))
        with self._lock:
            self._entries = (*self._entries, (is_prefix, *entry))
            self._routes = {}

        def unsubscribe() -> None:
            with self._lock:
                entries = list(self._entries)
                if (is_prefix, *entry) in entries:
                    entries.remove((is_prefix, *entry))
                self._entries, self._routes = tuple(entries), {}

        return unsubscribe

    def _handlers(self, name: str) -> tuple[Handler, ...]:
        # Emitting is hot and subscribing is rare: routes are computed once per name
        # and the cache is dropped on every (un)subscribe.
        handlers = self._routes.get(name)
        if handlers is None:
            handlers = tuple(
                h
                for is_prefix, key, h in self._entries
                if (name.startswith(key) if is_prefix else name == key)
            )
            self._routes[name] = handlers
        return handlers

    def has_subscribers(self, name: str) -> bool:
        """Whether emitting ``name`` would reach any handler (lets emitters skip work)."""
        return bool(self._entries) and bool(self._handlers(name))

    def emit(self, name: str, source: str = "", **data: Any) -> None:
        """Deliver an event to every matching handler, in subscription order."""
        if not self._entries:
            return
        handlers = self._handlers(name)
        if not handlers:
            return
        event = Event(name, source, MappingProxyType(data))
        for handler in handlers:
            try:
                handler(event)
            except Exception:
                logger.exception("event handler %r failed for %s", handler, name)


bus = EventBus()
subscribe = bus.subscribe
emit = bus.emit
