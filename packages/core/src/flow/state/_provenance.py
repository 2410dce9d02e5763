"""Lazy provenance: which write last changed each value of a flat namespace.

Publishing a flat namespace only appends ``(old, new, source)`` to its log
(see ``_core``); :func:`apply_log` turns the log into origins when they are
needed, with the same rule as the eager path: a value's origin is the source
of the newest write that changed it (a value written again unchanged keeps its
origin).
"""

from __future__ import annotations

from typing import Any

from ._listeners import MISSING

__all__ = ["Log", "apply_log"]

#: (data before, data after, source) of each write, oldest first.
Log = list[tuple[dict[Any, Any], dict[Any, Any], str]]


def apply_log(log: Log, origins: dict[Any, str]) -> None:
    """Update ``origins`` (key → source) of one flat namespace from its ``log``.

    Newest write first: usually the last write decides every key and the older
    ones are never looked at, so resolving costs about one diff, however long
    the log.
    """
    final = log[-1][1]
    decided: set[Any] = set()
    for old, new, source in reversed(log):
        for key, value in new.items():
            if key in decided:
                continue
            before = old.get(key, MISSING)
            if before is value or (type(before) is type(value) and before == value):
                continue
            decided.add(key)
            origins[key] = source
        if final.keys() <= decided:
            break
    # Keys gone since (a flat log holds no namespaces) have no origin any more.
    for key in origins.keys() - final.keys():
        del origins[key]
