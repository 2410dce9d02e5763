"""flow-watcher-zookeeper: watch a ZooKeeper znode's data (``zk://host:2181/app/config``).

``ZooKeeperWatcher`` loads on first use, so that importing the plugin module
(``flow plugins list``) never imports kazoo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

if TYPE_CHECKING:
    from .watcher import ZooKeeperWatcher as ZooKeeperWatcher

__all__ = ["ZooKeeperWatcher"]


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".watcher"), __all__)
