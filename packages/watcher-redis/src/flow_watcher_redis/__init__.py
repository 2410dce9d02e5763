"""flow-watcher-redis: watch a Redis string key through keyspace notifications.

``redis://`` and ``rediss://`` URIs reach :class:`RedisWatcher` through the
``flow`` plugin entry point; importing this package stays cheap (the
watcher and hiredis are imported only when the watcher is first used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .watcher import RedisWatcher

__all__ = ["RedisWatcher"]


def __getattr__(name: str) -> Any:
    if name == "RedisWatcher":
        from .watcher import RedisWatcher

        return RedisWatcher
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
