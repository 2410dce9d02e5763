"""``flow plugins``: list installed plugins and scaffold new ones."""

from __future__ import annotations

from pathlib import Path

import typer

from .plugins_view import ALL_KINDS, render_plugins

__all__ = ["app"]

app = typer.Typer(help="Inspect and create Flow plugins.", no_args_is_help=True)


@app.command("list")
def list_plugins(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
    kind: str | None = typer.Option(
        None, "--kind", help=f"Only plugins providing this kind ({', '.join(ALL_KINDS)})."
    ),
) -> None:
    """List every installed plugin, what it provides, and whether it loaded."""
    if kind is not None and kind not in ALL_KINDS:
        raise typer.BadParameter(
            f"unknown kind {kind!r}; use one of {', '.join(ALL_KINDS)}", param_hint="--kind"
        )
    render_plugins(as_json=as_json, kind=kind)


@app.command("new")
def new_plugin(
    name: str = typer.Argument(..., help="Plugin name, e.g. 'acme' (distribution flow-acme)."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to create the project folder."),
) -> None:
    """Create an installable plugin project with an entry point, hooks and a smoke test."""
    from ..errors import FlowError
    from ..plugins.scaffold import create_plugin_project

    try:
        target = create_plugin_project(name, directory)
    except FlowError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {target}")
    typer.echo(f"next: cd {target} && pip install -e '.[test]' && pytest && flow plugins list")
