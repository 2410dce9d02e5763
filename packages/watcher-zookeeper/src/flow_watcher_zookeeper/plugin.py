"""Hooks of flow-watcher-zookeeper; nothing heavy is imported until the watcher is used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the zk: URI scheme."""
    register("zk", "flow_watcher_zookeeper.watcher:ZooKeeperWatcher")
