"""flow-watcher-nats: Watch a NATS JetStream key-value entry."""

from __future__ import annotations

__all__: list[str] = []
