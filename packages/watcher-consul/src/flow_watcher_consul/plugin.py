"""Hooks of flow-watcher-consul; nothing heavy is imported until the watcher is used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the consul: URI scheme (loaded on first use; aiohttp is not imported here)."""
    register("consul", "flow_watcher_consul.watcher:ConsulWatcher")
