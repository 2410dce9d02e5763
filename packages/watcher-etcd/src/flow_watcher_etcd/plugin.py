"""Hook implementations of flow-watcher-etcd. Imports nothing heavy: the watcher loads on first use."""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the etcd: URI scheme."""
    register("etcd", "flow_watcher_etcd.watcher:EtcdWatcher")
