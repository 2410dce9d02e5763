"""Builds the ``flow`` Typer application, including the commands plugins add."""

from __future__ import annotations

import typer

from .._version import __version__
from . import (
    approvals_cmd,
    assets_cmd,
    config_cmd,
    lineage_cmd,
    plugins_cmd,
    run_cmd,
    scheduler_cmd,
    watch_cmd,
)

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
    cli.add_typer(assets_cmd.app, name="assets")
    cli.command("watch")(watch_cmd.watch)
    cli.command("check")(watch_cmd.check)
    cli.add_typer(approvals_cmd.app, name="approvals")
    cli.add_typer(lineage_cmd.app, name="lineage")
    cli.command("scheduler")(scheduler_cmd.scheduler)
    cli.command("run")(run_cmd.run)
    return cli


app = build_app()
