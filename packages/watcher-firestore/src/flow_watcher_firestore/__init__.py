"""flow-watcher-firestore: Watch a Firestore document (or one field) in real time."""

from __future__ import annotations

__all__: list[str] = []
