"""flow-watcher-file: Watch a local file (editor saves, mv over, ConfigMap symlink swaps) with watchdog."""

from __future__ import annotations

__all__: list[str] = []
