"""``flow plugins list`` rendering, free of Typer so the common call starts fast."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence

from ..plugins import KINDS, PluginInfo, PluginStatus, get_host

__all__ = ["ALL_KINDS", "fast_list", "render_plugins"]

_ONE_LINE = frozenset({"plugin", "distribution", "version"})

_STATUS_STYLE = {
    PluginStatus.LOADED: "green",
    PluginStatus.BLOCKED: "yellow",
    PluginStatus.FAILED: "red",
    PluginStatus.CONFLICT: "red",
    PluginStatus.INCOMPATIBLE: "magenta",
}
#: What ``--kind`` accepts: the registry kinds plus the commands plugins add.
ALL_KINDS: tuple[str, ...] = (*KINDS, "commands")


def render_plugins(*, as_json: bool, kind: str | None) -> None:
    """Print the process-wide host's plugins as ``flow plugins list`` does."""
    infos = get_host().plugins
    if kind is not None:
        infos = [i for i in infos if i.provides.get(kind)]
    if as_json:
        sys.stdout.write(json.dumps([i.to_json() for i in infos], indent=2) + "\n")
        return
    _print_table(infos, kind)


def fast_list(argv: Sequence[str]) -> bool:
    """Run ``flow plugins list [--json] [--kind KIND]`` without Typer's parser; False if not that.

    Why by hand: Typer (0.2x) coerces every non-flag option through a pydantic
    ``TypeAdapter``, which costs 150-200 ms per process, and ``flow plugins list
    --json`` is what scripts and health checks call. Only these exact, valid
    shapes are handled here; anything else (``--help``, typos, a bad kind) goes
    to Typer, which owns every message.
    """
    if list(argv[:2]) != ["plugins", "list"]:
        return False
    as_json, kind, rest = False, None, list(argv[2:])
    while rest:
        arg = rest.pop(0)
        if arg == "--json" and not as_json:
            as_json = True
        elif arg == "--kind" and kind is None and rest:
            kind = rest.pop(0)
        elif arg.startswith("--kind=") and kind is None:
            kind = arg.removeprefix("--kind=")
        else:
            return False
    if kind is not None and kind not in ALL_KINDS:
        return False
    render_plugins(as_json=as_json, kind=kind)
    return True


def _print_table(infos: list[PluginInfo], kind: str | None) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="Flow plugins", title_justify="left")
    for column in ("plugin", "distribution", "version", "provides", "status"):
        # Names and versions stay on one line; only "provides" and "status" wrap.
        table.add_column(column, overflow="fold", no_wrap=column in _ONE_LINE)
    for info in infos:
        provides = "\n".join(
            f"{k}: {', '.join(sorted(names))}"
            for k, names in sorted(info.provides.items())
            if names and (kind is None or k == kind)
        )
        style = _STATUS_STYLE[info.status]
        table.add_row(
            escape(info.name),
            escape(info.distribution),
            escape(info.version),
            escape(provides) or "-",
            f"[{style}]{escape(info.status_text)}[/]",
        )
    Console().print(table)
