"""``NamedRegistry``: the thread-safe, by-name registry behind schedules and sensors."""

from __future__ import annotations

import threading
from typing import Generic, Protocol, TypeVar

__all__ = ["NamedRegistry"]


class _Named(Protocol):
    @property
    def name(self) -> str: ...


T = TypeVar("T", bound=_Named)


class NamedRegistry(Generic[T]):
    """Items by their ``name``; adding one under a taken name replaces it (a re-import)."""

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._lock = threading.Lock()

    def add(self, item: T) -> T:
        """Add ``item``, replacing any other under the same name; returns it."""
        with self._lock:
            self._items[item.name] = item
        return item

    def remove(self, name: str) -> None:
        """Forget the item ``name`` (no error when absent)."""
        with self._lock:
            self._items.pop(name, None)

    def snapshot(self) -> list[T]:
        """The items, by name."""
        with self._lock:
            return [self._items[name] for name in sorted(self._items)]
