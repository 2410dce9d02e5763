"""The watcher contract and how a URI finds its watcher.

A watcher is anything with ``changes()`` (an async iterator of
:class:`Change`) and ``aclose()``. Its factory, registered by URI scheme
through ``flow_register_watchers``, takes a :class:`SourceURI`.

The contract (checked by :class:`flow.testing.WatcherContract`):

1. The first item is the current state, delivered promptly: the value, or
   ``Change(None)`` when the key does not exist.
2. Then one item per observed change; deletes yield ``Change(None)``. Bursts may
   be coalesced, but the latest value is always eventually delivered.
3. Connection loss is handled inside: reconnect with backoff and jitter, then
   re-read and yield the current value if it differs from the last one yielded.
4. Permanent errors raise a :class:`~flow.SourceError` naming the (redacted) source and the fix.
5. ``aclose()`` releases every connection, thread and task; the loop is never blocked.
6. Binary values (≥ 1 MiB) and non-ASCII keys work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Protocol, runtime_checkable

from ..errors import SourceURIError
from ..plugins import get_registry
from .change import Change
from .uri import SourceURI

__all__ = ["Watcher", "WatcherFactory", "open_watcher"]


@runtime_checkable
class Watcher(Protocol):
    """A source of bytes that changes over time."""

    def changes(self) -> AsyncIterator[Change]:
        """The current state first, then one ``Change`` per observed change, until closed."""

    async def aclose(self) -> None:
        """Stop watching and release every connection, thread and task."""


WatcherFactory = Callable[[SourceURI], Watcher]


def open_watcher(uri: str | SourceURI) -> Watcher:
    """The watcher for ``uri``, chosen by its scheme through the plugin registry."""
    source = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
    factory = get_registry().resolve("watchers", source.scheme)
    if not callable(factory):
        raise SourceURIError(f"the watcher registered for {source.scheme}: is not callable")
    watcher = factory(source)
    if not isinstance(watcher, Watcher):
        raise SourceURIError(
            f"the watcher for {source.scheme}: returned {type(watcher).__name__}, "
            "which lacks changes() and aclose()"
        )
    return watcher
