"""Hook implementations of flow-watcher-file.

Imports nothing heavy: the watcher (and watchdog) load on first use.
"""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the file: URI scheme."""
    register("file", "flow_watcher_file.watcher:FileWatcher")
