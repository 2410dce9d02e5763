"""Hooks of flow-watcher-etcd; nothing heavy is imported until the watcher is used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the etcd: URI scheme."""
    register("etcd", "flow_watcher_etcd.watcher:EtcdWatcher")
