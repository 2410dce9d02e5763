"""flow-watcher-redis: watch a Redis string key through keyspace notifications.

``redis://`` and ``rediss://`` URIs reach :class:`RedisWatcher` through the
``flow`` plugin entry point; importing this package stays cheap (the
watcher and hiredis are imported only when the watcher is first used).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

if TYPE_CHECKING:
    from .watcher import RedisWatcher as RedisWatcher

__all__ = ["RedisWatcher"]


__getattr__, __dir__ = lazy_exports(__name__, {"RedisWatcher": ".watcher"}, __all__)
