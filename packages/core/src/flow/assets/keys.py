"""Asset keys: validated names that are safe as file names and map to parameter names.

A key is one or more segments joined by ``/`` (``raw_events``, ``sales/daily_report``);
each segment is a Python identifier (letters, digits, ``_``; not starting with a digit).
That rules out ``..``, absolute paths, backslashes and every other way a key could
escape an IO manager's root directory, and it keeps the parameter name that receives
an upstream value predictable: ``/`` becomes ``__`` (``sales/raw`` → ``sales__raw``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import AssetDefinitionError

__all__ = ["MAX_KEY_LENGTH", "check_key", "check_targets", "param_name"]

MAX_KEY_LENGTH = 200
_SEGMENT = r"[A-Za-z_][A-Za-z0-9_]*"
_KEY = re.compile(rf"{_SEGMENT}(?:/{_SEGMENT})*")


def check_key(key: object, where: str = "asset key") -> str:
    """``key`` when it is a valid asset key; otherwise a clear :class:`AssetDefinitionError`."""
    if not isinstance(key, str):
        raise AssetDefinitionError(f"{where} must be a string, got {type(key).__name__} {key!r}")
    if len(key) <= MAX_KEY_LENGTH and _KEY.fullmatch(key):
        return key
    if len(key) > MAX_KEY_LENGTH:
        problem = f"is {len(key)} characters long (at most {MAX_KEY_LENGTH})"
    elif ".." in key or key.startswith(("/", "\\")) or "\\" in key:
        problem = "looks like a file path (path traversal is not allowed)"
    else:
        problem = "is not a valid asset key"
    raise AssetDefinitionError(
        f"{where} {key!r} {problem}: use segments of letters, digits and '_' "
        "(not starting with a digit) joined by '/', e.g. 'raw_events' or 'sales/daily_report'"
    )


def check_targets(targets: Iterable[str] | str, where: str) -> tuple[str, ...]:
    """``targets`` (one key, or several) as a tuple of valid asset keys; empty is an error."""
    items = (targets,) if isinstance(targets, str) else tuple(targets)
    if not items:
        raise AssetDefinitionError(f"{where}: targets is empty; name the assets to materialize")
    return tuple(check_key(item, f"{where}: target") for item in items)


def param_name(key: str) -> str:
    """The function parameter that receives the value of upstream asset ``key``."""
    return key.replace("/", "__")
