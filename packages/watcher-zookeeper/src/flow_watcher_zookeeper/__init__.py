"""flow-watcher-zookeeper: Watch a ZooKeeper node's data."""

from __future__ import annotations

__all__: list[str] = []
