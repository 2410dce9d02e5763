"""Builds the ``flow`` Typer application, including the commands plugins add."""

from __future__ import annotations

import typer

from .._version import __version__
from . import config_cmd, plugins_cmd, watch_cmd

__all__ = ["app", "build_app"]


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"flow {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """A fresh ``flow`` application with the built-in commands (plugins not yet added)."""
    cli = typer.Typer(
        name="flow",
        help="Flow: live configuration, data movement and assets.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @cli.callback()
    def root(
        version: bool = typer.Option(
            False,
            "--version",
            callback=_version_callback,
            is_eager=True,
            help="Print the flow-core version and exit.",
        ),
    ) -> None:
        """Flow: live configuration, data movement and assets."""

    cli.add_typer(plugins_cmd.app, name="plugins")
    cli.add_typer(config_cmd.app, name="config")
    cli.command("watch")(watch_cmd.watch)
    cli.command("check")(watch_cmd.check)
    return cli


app = build_app()
