"""``flow plugins``: list installed plugins and scaffold new ones."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..plugins import KINDS, PluginInfo, PluginStatus, get_host

__all__ = ["app"]

app = typer.Typer(help="Inspect and create Flow plugins.", no_args_is_help=True)

_STATUS_STYLE = {
    PluginStatus.LOADED: "green",
    PluginStatus.BLOCKED: "yellow",
    PluginStatus.FAILED: "red",
    PluginStatus.CONFLICT: "red",
    PluginStatus.INCOMPATIBLE: "magenta",
}
_ALL_KINDS = (*KINDS, "commands")


@app.command("list")
def list_plugins(
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
    kind: str | None = typer.Option(
        None, "--kind", help=f"Only plugins providing this kind ({', '.join(_ALL_KINDS)})."
    ),
) -> None:
    """List every installed plugin, what it provides, and whether it loaded."""
    if kind is not None and kind not in _ALL_KINDS:
        raise typer.BadParameter(f"unknown kind {kind!r}; use one of {', '.join(_ALL_KINDS)}")
    infos = get_host().plugins
    if kind is not None:
        infos = [i for i in infos if i.provides.get(kind)]
    if as_json:
        typer.echo(json.dumps([i.to_json() for i in infos], indent=2))
        return
    _print_table(infos, kind)


def _print_table(infos: list[PluginInfo], kind: str | None) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Flow plugins", title_justify="left")
    for column in ("plugin", "distribution", "version", "provides", "status"):
        table.add_column(column, overflow="fold")
    for info in infos:
        provides = "\n".join(
            f"{k}: {', '.join(sorted(names))}"
            for k, names in sorted(info.provides.items())
            if names and (kind is None or k == kind)
        )
        style = _STATUS_STYLE[info.status]
        table.add_row(
            info.name,
            info.distribution,
            info.version,
            provides or "-",
            f"[{style}]{_escape(info.status_text)}[/]",
        )
    Console().print(table)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


@app.command("new")
def new_plugin(
    name: str = typer.Argument(..., help="Plugin name, e.g. 'acme' (distribution flow-acme)."),
    directory: Path = typer.Option(Path("."), "--dir", help="Where to create the project folder."),
) -> None:
    """Create an installable plugin project with an entry point, hooks and a smoke test."""
    from ..plugins.scaffold import create_plugin_project

    target = create_plugin_project(name, directory)
    typer.echo(f"created {target}")
    typer.echo(f"next: cd {target} && pip install -e . && pytest && flow plugins list")
