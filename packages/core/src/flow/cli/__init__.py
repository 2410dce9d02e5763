"""The ``flow`` command line: thin commands that parse, call the library, and render.

``main`` is cheap to import; the Typer application (``app``, ``build_app``) is
built on first access.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._main import main

if TYPE_CHECKING:
    from ._app import app as app
    from ._app import build_app as build_app

__all__ = ["app", "build_app", "main"]


def __getattr__(name: str) -> Any:
    if name in ("app", "build_app"):
        from . import _app

        return getattr(_app, name)
    raise AttributeError(f"module 'flow.cli' has no attribute {name!r}")
