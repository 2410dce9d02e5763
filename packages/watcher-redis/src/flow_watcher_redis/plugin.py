"""Hook implementations of flow-watcher-redis.

Imports nothing heavy: the watcher (and hiredis) load on first use of a redis: URI.
"""

from __future__ import annotations

from flow.plugins import Register, hookimpl


@hookimpl
def flow_register_watchers(register: Register) -> None:
    """Register the redis:, rediss: URI schemes."""
    register("redis", "flow_watcher_redis.watcher:RedisWatcher")
    register("rediss", "flow_watcher_redis.watcher:RedisWatcher")
