"""The ``flow`` console script's entry point, kept free of Typer.

Why: every ``flow`` process would otherwise import Typer, Click and every
command module before doing anything, and ``flow plugins list --json`` is
what scripts and health checks call. That one call is answered here when no
plugin adds commands; everything else builds the Typer application.
"""

from __future__ import annotations

import sys

from ..plugins import get_host
from .plugins_view import fast_list

__all__ = ["main"]


def main() -> None:
    """Run the ``flow`` command line."""
    host = get_host()
    if not host.adds_commands and fast_list(sys.argv[1:]):
        return
    from ._app import app

    host.register_commands(app)
    if fast_list(sys.argv[1:]):
        return
    app()
