"""flow-watcher-consul: Watch a Consul KV key with blocking queries."""

from __future__ import annotations

__all__: list[str] = []
