"""The ``flow`` command line: thin commands that parse, call the library, and render."""

from __future__ import annotations

from ._app import app, build_app, main

__all__ = ["app", "build_app", "main"]
