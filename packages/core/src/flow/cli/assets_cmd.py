"""``flow assets``: list, materialize, backfill, status and graph of a project's assets.

Assets are found with ``--module`` or the project setting (see docs/assets.md);
the metadata store is the project's (``.flow/flow.db``) or ``$FLOW_DATABASE_URL``.
Exit codes: 0 success (or waiting for approval), 1 something failed, 2 bad input.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from ..assets import Definitions, RunResult

__all__ = ["app"]

app = typer.Typer(help="List, materialize and inspect assets.", no_args_is_help=True)

_MODULE_HELP = "Module with the assets (pkg.mod); default: the project setting."


def _fail(exc: Exception, code: int = 2) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code)


def _definitions(module: str | None) -> Definitions:
    from ..assets import load_definitions

    return load_definitions(module)


def _partitions_text(item: Any) -> str:
    return "" if item.partitions is None else repr(item.partitions)


@app.command("list")
def list_assets(
    module: str | None = typer.Option(None, "--module", "-m", help=_MODULE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list instead of a table."),
) -> None:
    """List the assets, in dependency order, with their dependencies and partitions."""
    from ..errors import FlowError

    try:
        defs = _definitions(module)
    except FlowError as exc:
        raise _fail(exc) from None
    rows = [defs.assets[key] for key in defs.graph.order]
    if as_json:
        payload = [
            {
                "key": a.key,
                "deps": list(a.deps),
                "optional_deps": list(a.optional_deps),
                "partitions": _partitions_text(a) or None,
                "io_manager": a.io_manager,
                "resources": [r.__name__ for r in a.resources],
                "sources": list(a.sources),
                "description": a.description,
                "origin": a.origin,
            }
            for a in rows
        ]
        typer.echo(json.dumps(payload, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("asset", "deps", "partitions", "io manager", "description", title="flow assets")
    for a in rows:
        deps = ", ".join([*a.deps, *(f"{d}?" for d in a.optional_deps)])
        summary = (a.description or "").strip().splitlines()[:1]
        table.add_row(a.key, deps, _partitions_text(a), a.io_manager, summary[0] if summary else "")
    Console(soft_wrap=True).print(table)


@app.command("materialize")
def materialize_cmd(
    keys: list[str] = typer.Argument(
        None, help="Assets to materialize (with upstream); none: all."
    ),
    partition: str | None = typer.Option(
        None, "--partition", "-p", help="Partition key, e.g. 2026-01-31."
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, help="Assets run at once."),
    module: str | None = typer.Option(None, "--module", "-m", help=_MODULE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the run as JSON."),
) -> None:
    """Materialize assets and everything upstream of them; a summary table at the end."""
    from ..assets import materialize_all
    from ..errors import FlowError

    try:
        defs = _definitions(module)
        targets = list(keys) or None
        size = len(defs.graph.closure(targets)) if targets else len(defs.assets)
        with _progress(size, enabled=not as_json and size > 1):
            result = materialize_all(
                targets, partition=partition, parallel=parallel, definitions=defs
            )
    except FlowError as exc:
        raise _fail(exc) from None
    _render(result, as_json)


@app.command("backfill")
def backfill_cmd(
    key: str = typer.Argument(..., help="The partitioned asset."),
    partitions: str = typer.Option(
        ..., "--partitions", help="A range FIRST..LAST (inclusive) or a comma-separated list."
    ),
    parallel: int = typer.Option(4, "--parallel", min=1, help="Partitions run at once."),
    force: bool = typer.Option(False, "--force", help="Recompute partitions that succeeded."),
    module: str | None = typer.Option(None, "--module", "-m", help=_MODULE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the run as JSON."),
) -> None:
    """Materialize one asset for many partitions, skipping those that already succeeded."""
    from ..assets import backfill
    from ..errors import FlowError, PartitionError

    try:
        defs = _definitions(module)
        item = defs.get(key)
        if item.partitions is None:
            raise PartitionError(f"asset {key!r} is not partitioned; use `flow assets materialize`")
        if ".." in partitions:
            first, _, last = partitions.partition("..")
            wanted = item.partitions.range(first.strip(), last.strip())
        else:
            wanted = [item.partitions.coerce(p.strip()) for p in partitions.split(",") if p.strip()]
        with _progress(len(wanted), enabled=not as_json and len(wanted) > 1):
            result = backfill(key, wanted, parallel=parallel, force=force, definitions=defs)
    except FlowError as exc:
        raise _fail(exc) from None
    if not as_json and result.already:
        typer.echo(
            f"{len(result.already)} partition(s) already succeeded: skipped (--force redoes them)"
        )
    _render(result, as_json)


@app.command("status")
def status_cmd(
    key: str | None = typer.Argument(None, help="One asset (default: all)."),
    module: str | None = typer.Option(None, "--module", "-m", help=_MODULE_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """The latest materialization of each asset (and partition) from the metadata store."""
    from ..errors import FlowError
    from ..store import MetadataStore

    try:
        defs = _definitions(module)
        keys = [defs.get(key).key] if key else list(defs.graph.order)
        with MetadataStore.open(project_dir=defs.project_dir) as store:
            latest = store.latest_statuses(keys)
    except FlowError as exc:
        raise _fail(exc) from None
    rows: list[dict[str, Any]] = []
    for name in keys:
        found = sorted(
            ((p, m) for (k, p), m in latest.items() if k == name), key=lambda pm: pm[0] or ""
        )
        if not found:
            rows.append(
                {
                    "asset": name,
                    "partition": None,
                    "status": "never",
                    "finished_at": None,
                    "run_id": None,
                    "error": None,
                }
            )
        for partition, m in found:
            rows.append(
                {
                    "asset": name,
                    "partition": partition,
                    "status": m.status.value,
                    "finished_at": m.finished_at.isoformat() if m.finished_at else None,
                    "run_id": m.run_id,
                    "error": m.error,
                }
            )
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("asset", "partition", "status", "finished", "error", title="asset status")
    for row in rows:
        table.add_row(
            row["asset"],
            row["partition"] or "",
            _styled(row["status"]),
            row["finished_at"] or "",
            (row["error"] or "")[:80],
        )
    Console(soft_wrap=True).print(table)


@app.command("graph")
def graph_cmd(
    fmt: str = typer.Option("mermaid", "--format", help="mermaid or dot."),
    module: str | None = typer.Option(None, "--module", "-m", help=_MODULE_HELP),
) -> None:
    """Print the DAG as a Mermaid flowchart or a Graphviz dot graph."""
    from ..errors import FlowError

    if fmt not in ("mermaid", "dot"):
        raise _fail(ValueError(f"--format {fmt!r}: use mermaid or dot"))
    try:
        defs = _definitions(module)
    except FlowError as exc:
        raise _fail(exc) from None
    typer.echo(_mermaid(defs) if fmt == "mermaid" else _dot(defs))


def _mermaid(defs: Definitions) -> str:
    ids = {key: f"n{i}" for i, key in enumerate(defs.graph.order)}
    lines = ["flowchart LR"]
    lines += [f'    {ids[k]}["{k}"]' for k in defs.graph.order]
    for key in defs.graph.order:
        item = defs.assets[key]
        for dep in defs.graph.upstream[key]:
            arrow = "-.->" if dep in item.optional_deps else "-->"
            lines.append(f"    {ids[dep]} {arrow} {ids[key]}")
    return "\n".join(lines)


def _dot(defs: Definitions) -> str:
    lines = ["digraph assets {", "    rankdir=LR;"]
    lines += [f'    "{k}";' for k in defs.graph.order]
    for key in defs.graph.order:
        item = defs.assets[key]
        for dep in defs.graph.upstream[key]:
            style = " [style=dashed]" if dep in item.optional_deps else ""
            lines.append(f'    "{dep}" -> "{key}"{style};')
    lines.append("}")
    return "\n".join(lines)


_COLORS = {
    "success": "green",
    "failed": "red",
    "skipped": "yellow",
    "waiting_approval": "cyan",
    "never": "dim",
}


def _styled(status: str) -> str:
    color = _COLORS.get(status)
    return f"[{color}]{status}[/{color}]" if color else status


class _progress:
    """A rich progress bar fed by ``assets.materialization`` events (terminals only)."""

    def __init__(self, total: int, *, enabled: bool) -> None:
        self.total = total
        self.enabled = enabled
        self._stop: Any = None
        self._bar: Any = None

    def __enter__(self) -> _progress:
        from rich.console import Console

        if not self.enabled or not Console(stderr=True).is_terminal:
            return self
        from rich.progress import Progress

        from ..events import subscribe

        self._bar = Progress(console=Console(stderr=True), transient=True)
        task = self._bar.add_task("materializing", total=self.total)
        self._bar.start()
        bar = self._bar

        def advance(event: Any) -> None:
            bar.update(task, advance=1, description=f"materializing {event.source}")

        self._stop = subscribe("assets.materialization", advance)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._stop()
        if self._bar is not None:
            self._bar.stop()


def _render(result: RunResult, as_json: bool) -> None:
    from ..store import Status

    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        from rich.console import Console
        from rich.table import Table

        table = Table(
            "asset",
            "partition",
            "status",
            "seconds",
            "error",
            title=f"run {result.run_id}: {result.status.value}",
        )
        for r in result.results:
            seconds = f"{r.duration:.3f}" if r.duration is not None else ""
            partition = r.label[len(r.asset_key) + 1 : -1] if r.partition_text else ""
            table.add_row(
                r.asset_key,
                partition,
                _styled(r.status.value),
                seconds,
                (r.error or "").splitlines()[0][:100] if r.error else "",
            )
        Console(soft_wrap=True).print(table)
    if result.status is Status.FAILED:
        raise typer.Exit(1)
