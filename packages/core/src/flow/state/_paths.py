"""Config paths: ``"database.host"`` ⇄ ``("database", "host")``, and secret-looking keys."""

from __future__ import annotations

import keyword
from collections.abc import Hashable

from ..redaction import SECRET_OPTION

__all__ = ["MASK", "Path", "is_attr_name", "is_secret_key", "join", "split"]

Path = tuple[Hashable, ...]
#: What a secret value is shown as.
MASK = "***"


def split(path: str | Path) -> Path:
    """``"a.b"`` → ``("a", "b")``; a tuple is taken as already split; ``""`` is the root."""
    if isinstance(path, tuple):
        return path
    if not isinstance(path, str):
        raise TypeError(f"a config path is a dotted string like 'database.host', not {path!r}")
    if path == "":
        return ()
    parts = tuple(path.split("."))
    if any(p == "" for p in parts):
        raise ValueError(f"config path {path!r} has an empty segment; write e.g. 'database.host'")
    return parts


def join(path: Path) -> str:
    """``("a", "b")`` → ``"a.b"``."""
    return ".".join(str(p) for p in path)


def is_attr_name(key: object) -> bool:
    """Whether ``key`` can be read as an attribute of a namespace (public identifier)."""
    return (
        isinstance(key, str)
        and key.isidentifier()
        and not key.startswith("_")
        and not keyword.iskeyword(key)
    )


def is_secret_key(key: object) -> bool:
    """Whether a key's name says it holds a secret (password, token, secret, api_key, …)."""
    return isinstance(key, str) and SECRET_OPTION.search(key) is not None
