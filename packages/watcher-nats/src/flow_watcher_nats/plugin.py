"""Hook implementations of flow-watcher-nats.

Imports nothing heavy: the watcher (and nats-py) load on first use.
"""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the nats: URI scheme."""
    register("nats", "flow_watcher_nats.watcher:NatsWatcher")
