"""flow-watcher-file: watch a local file (editor saves, mv over, ConfigMap symlink swaps).

``FileWatcher`` and ``FileAccessDenied`` load on first use, so that importing
the plugin module (``flow plugins list``) never imports watchdog.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .watcher import FileAccessDenied as FileAccessDenied
    from .watcher import FileWatcher as FileWatcher

__all__ = ["FileAccessDenied", "FileWatcher"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'flow_watcher_file' has no attribute {name!r}")
    value = getattr(importlib.import_module(".watcher", __name__), name)
    globals()[name] = value
    return value
