"""Checks on what a plugin registers, and how a plugin's failure is described to users."""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..errors import PluginLoadError

__all__ = ["check_registration", "describe"]

_VALID_NAME = re.compile(r"^[a-z][a-z0-9_.+-]*$")
_LAZY_TARGET = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


def check_registration(kind: str, name: object, target: object, seen: Iterable[str]) -> None:
    """Raise :class:`PluginLoadError` when ``register(name, target)`` is not acceptable."""
    if not isinstance(name, str) or not _VALID_NAME.match(name):
        raise PluginLoadError(
            f"invalid {kind} name {name!r}: start with a lower-case letter, then use "
            "lower-case letters, digits, '_', '-', '.', '+'"
        )
    if name in seen:
        raise PluginLoadError(f"registered {kind} {name!r} twice")
    if target is None:
        raise PluginLoadError(f"{kind} {name!r} was registered with target None")
    if isinstance(target, str) and not _LAZY_TARGET.match(target):
        raise PluginLoadError(
            f"lazy target {target!r} for {kind} {name!r} must look like 'package.module:attr'"
        )


def describe(exc: BaseException) -> str:
    """A one-line reason for a plugin's failure (``ImportError: No module named 'x'``)."""
    text = str(exc).strip() or exc.__class__.__name__
    return text if isinstance(exc, PluginLoadError) else f"{exc.__class__.__name__}: {text}"
