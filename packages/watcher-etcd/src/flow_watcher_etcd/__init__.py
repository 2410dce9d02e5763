"""flow-watcher-etcd: Watch an etcd v3 key."""

from __future__ import annotations

__all__: list[str] = []
