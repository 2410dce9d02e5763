"""``flow config``: show the merged configuration (masked, with provenance) or one value."""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import FlowError
from ..redaction import MASK

if TYPE_CHECKING:
    from ..state import Flow

__all__ = ["DEFAULT_FILES", "app", "load_config", "masked"]

app = typer.Typer(help="Show the configuration Flow would load.", no_args_is_help=True)

#: Looked for in the current directory, in this order, when no --source is given.
DEFAULT_FILES = ("config.yaml", "config.yml", "config.toml", "config.json")

_SOURCE_HELP = (
    "A source, in order (later wins): yaml:PATH, json:PATH, toml:PATH, dotenv:PATH, env:PREFIX, "
    f"or a file path. Default: the first of {', '.join(DEFAULT_FILES)} in the current directory."
)
_SCHEMA_HELP = "A schema to validate and coerce with, as module:Class (e.g. myapp.settings:App)."


def load_config(sources: list[str], schema: str | None) -> Flow:
    """A fresh Flow loaded from ``sources`` (or the default files), validated by ``schema``."""
    from ..errors import ConfigSourceError
    from ..state import Flow
    from ..state.sources import parse_source

    specs = list(sources) or [name for name in DEFAULT_FILES if Path(name).is_file()][:1]
    if not specs:
        raise ConfigSourceError(
            f"no config found: none of {', '.join(DEFAULT_FILES)} is in {Path.cwd()}; "
            "pass --source yaml:PATH (or env:PREFIX, dotenv:PATH…)"
        )
    layers = [parse_source(spec) for spec in specs]
    flow = Flow()
    if schema:
        flow.use_schema(_import_schema(schema), *layers)
    else:
        flow.update(*layers)
    return flow


def _import_schema(spec: str) -> Any:
    from ..errors import ConfigError

    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"--schema {spec!r}: write it as module:Class, e.g. myapp.settings:App")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"--schema {spec!r}: cannot import {module_name}: {exc}") from None
    try:
        return getattr(module, attr)
    except AttributeError:
        raise ConfigError(f"--schema {spec!r}: {module_name} has no {attr!r}") from None


def masked(value: Any, path: tuple[Any, ...] = ()) -> Any:
    """Plain data for display: secret-looking keys and Secret values become ``***``."""
    from pydantic import SecretBytes, SecretStr

    from ..state._paths import is_secret_key

    if path and is_secret_key(path[-1]) and value is not None:
        return MASK
    if isinstance(value, (SecretStr, SecretBytes)):
        return MASK
    if isinstance(value, Mapping):
        return {k: masked(v, (*path, k)) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [masked(v, path) for v in value]
    return value


def _leaves(value: Any, path: tuple[Any, ...], out: list[tuple[str, Any]]) -> None:
    if isinstance(value, Mapping) and value:
        for key, item in value.items():
            _leaves(item, (*path, key), out)
    else:
        out.append((".".join(str(p) for p in path), value))


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("show")
def show(
    source: list[str] = typer.Option([], "--source", "-s", help=_SOURCE_HELP),
    schema: str | None = typer.Option(None, "--schema", help=_SCHEMA_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """Print the merged configuration, secrets masked, with the layer each value came from."""
    try:
        flow = load_config(source, schema)
    except (FlowError, ValueError, OSError) as exc:
        raise _fail(exc) from None
    values = masked(flow.to_dict())
    origins = flow.origins()
    if as_json:
        typer.echo(json.dumps({"config": values, "origins": origins}, indent=2, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("path", "value", "from", title="flow config")
    rows: list[tuple[str, Any]] = []
    _leaves(values, (), rows)
    for path, value in rows:
        table.add_row(path, json.dumps(value, default=str), origins.get(path, "default"))
    Console(soft_wrap=True).print(table)


@app.command("get")
def get(
    path: str = typer.Argument(..., help="Dotted path, e.g. database.host"),
    source: list[str] = typer.Option([], "--source", "-s", help=_SOURCE_HELP),
    schema: str | None = typer.Option(None, "--schema", help=_SCHEMA_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the value as JSON."),
) -> None:
    """Print one value (masked when it is a secret); a mapping prints as JSON."""
    from ..state._frozen import thaw

    try:
        flow = load_config(source, schema)
        value = flow[path]
    except (FlowError, KeyError, ValueError, OSError) as exc:
        raise _fail(exc) from None
    parts = tuple(path.split("."))
    shown = masked(thaw(value), parts)
    if as_json or isinstance(shown, (dict, list)):
        typer.echo(json.dumps(shown, indent=2, default=str))
    else:
        typer.echo(str(shown))
