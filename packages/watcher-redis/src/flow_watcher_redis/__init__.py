"""flow-watcher-redis: Watch a Redis key through keyspace notifications."""

from __future__ import annotations

__all__: list[str] = []
