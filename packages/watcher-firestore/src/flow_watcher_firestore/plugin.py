"""Hooks of flow-watcher-firestore; nothing heavy is imported until the watcher is used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the firestore: URI scheme."""
    register("firestore", "flow_watcher_firestore.watcher:FirestoreWatcher")
