"""flow-watcher-file: watch a local file (editor saves, mv over, ConfigMap symlink swaps).

``FileWatcher`` and ``FileAccessDenied`` load on first use, so that importing
the plugin module (``flow plugins list``) never imports watchdog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

if TYPE_CHECKING:
    from .watcher import FileAccessDenied as FileAccessDenied
    from .watcher import FileWatcher as FileWatcher

__all__ = ["FileAccessDenied", "FileWatcher"]


__getattr__, __dir__ = lazy_exports(__name__, dict.fromkeys(__all__, ".watcher"), __all__)
