"""Where to watch for a file, and which directory entries matter to it.

The watcher observes a directory, never the file itself: editors replace the
file by rename, ``mv`` puts a new inode in its place, and Kubernetes swaps a
``..data`` symlink the file resolves through. All of these are entries of the
parent directory changing, so the parent is what is watched, filtered by name.
"""

from __future__ import annotations

import os

__all__ = ["Location", "locate"]

# Linux gives up after 40 symlinks (ELOOP); so does the chain walk below.
_MAX_LINKS = 40

Location = tuple[str, frozenset[str]]


def locate(target: str) -> Location:
    """The directory to watch for ``target`` (symlinks not resolved) and the names that matter.

    Normally that is the parent directory and the file's name (plus the names
    of any symlinks in that directory the file resolves through). When the
    parent does not exist yet, it is the nearest existing ancestor and the name
    of the next missing directory, so the watch can move down as they appear.
    """
    parent, name = os.path.split(target)
    if os.path.isdir(parent):
        return parent, _names_through(parent, name)
    child, ancestor = parent, os.path.dirname(parent)
    while ancestor != child and not os.path.isdir(ancestor):
        child, ancestor = ancestor, os.path.dirname(ancestor)
    return ancestor, frozenset({os.path.basename(child)})


def _names_through(parent: str, name: str) -> frozenset[str]:
    """``name`` plus every entry of ``parent`` that the symlink chain from it passes through.

    For a ConfigMap mount, ``config.yaml -> ..data/config.yaml`` gives
    ``{"config.yaml", "..data"}``: renaming a new ``..data`` into place changes
    the file without touching the ``config.yaml`` entry.
    """
    names = {name}
    current = os.path.join(parent, name)
    for _ in range(_MAX_LINKS):
        try:
            link = os.readlink(current)
        except OSError:
            break
        current = os.path.normpath(os.path.join(os.path.dirname(current), link))
        first = os.path.relpath(current, parent).split(os.sep, 1)[0]
        if first != os.pardir:
            names.add(first)
    return frozenset(names)
