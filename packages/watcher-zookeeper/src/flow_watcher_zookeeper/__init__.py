"""flow-watcher-zookeeper: watch a ZooKeeper znode's data (``zk://host:2181/app/config``).

``ZooKeeperWatcher`` loads on first use, so that importing the plugin module
(``flow plugins list``) never imports kazoo.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .watcher import ZooKeeperWatcher as ZooKeeperWatcher

__all__ = ["ZooKeeperWatcher"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'flow_watcher_zookeeper' has no attribute {name!r}")
    value = getattr(importlib.import_module(".watcher", __name__), name)
    globals()[name] = value
    return value
