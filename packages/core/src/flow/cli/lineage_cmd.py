"""``flow lineage upstream|downstream|impact KEY``: walk the recorded lineage graph."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import FlowError, PartitionError

if TYPE_CHECKING:
    from ..assets.registry import Definitions
    from ..store import ImpactRow, LineageNode, MetadataStore

__all__ = ["app", "partition_text"]

app = typer.Typer(
    help="Lineage: what an asset was computed from, what was computed from it, and the impact.",
    no_args_is_help=True,
)

_KEY = typer.Argument(..., help="The asset key, e.g. raw_events or sales/daily_report.")
_PARTITION = typer.Option(
    None,
    "--partition",
    "-p",
    help="Start from one partition (as the asset's partitions write it, e.g. 2026-01-01; "
    "or the tagged form d:2026-01-01). Default: every partition of the asset.",
)
_DEPTH = typer.Option(10, "--depth", "-d", min=1, max=1000, help="How many edges to follow.")
_JSON = typer.Option(False, "--json", help="Print a JSON list.")
_MODULE = typer.Option(
    None, "--module", "-m", help="Assets module, to read and show partitions in their own form."
)
_PROJECT = typer.Option(
    None, "--project-dir", help="The project directory (its .flow/flow.db is the store)."
)

_STATUS_STYLE = {
    "success": "green",
    "failed": "red",
    "waiting_approval": "yellow",
    "running": "cyan",
    "skipped": "dim",
}


def partition_text(
    defs: Definitions | None, key: str, text: str, recorded: Iterable[str | None] = ()
) -> str:
    """The stored (tagged) form of the partition a user typed for asset ``key``.

    Read by the asset's partitions when its definition is loaded; otherwise
    the tagged form is accepted as is, and a plain form is matched against the
    partitions recorded for the asset (``recorded``).
    """
    from ..assets.partitions import describe_key, parse_partition, serialize_partition

    asset = defs.assets.get(key) if defs is not None else None
    if asset is not None and asset.partitions is not None:
        return serialize_partition(asset.partitions.parse(text))
    try:
        return serialize_partition(parse_partition(text))
    except PartitionError:
        pass
    matches = sorted(
        {t for t in recorded if t is not None and describe_key(parse_partition(t)) == text}
    )
    if len(matches) == 1:
        return matches[0]
    found = f" (it matches {len(matches)} recorded partitions: {', '.join(matches)})"
    raise PartitionError(
        f"--partition {text!r}: cannot tell which partition of asset {key!r} this is"
        f"{found if matches else ''}; pass --module so the asset's partitions can read it, "
        "or use the tagged form (s:TEXT, d:YYYY-MM-DD, i:N, ...)"
    )


def _shown(defs: Definitions | None, key: str, text: str | None) -> str | None:
    """The partition as the asset's partitions write it (the tagged text when unknown)."""
    if text is None:
        return None
    from ..assets.partitions import parse_partition

    asset = defs.assets.get(key) if defs is not None else None
    try:
        parsed = parse_partition(text)
        return asset.partitions.format(parsed) if asset and asset.partitions else text
    except (PartitionError, ValueError):
        return text


def _load(module: str | None, project_dir: Path | None) -> Definitions | None:
    from ..assets.project import load_definitions

    return load_definitions(module, project_dir)


def _query(
    kind: str,
    key: str,
    partition: str | None,
    depth: int,
    module: str | None,
    project_dir: Path | None,
) -> tuple[list[Any], Definitions | None]:
    from ..assets.keys import check_key
    from ..store import MetadataStore

    check_key(key)
    defs = _load(module, project_dir)
    store: MetadataStore
    with MetadataStore.open(project_dir=project_dir) as store:
        text = None
        if partition is not None:
            recorded = [p for (_, p) in store.latest_statuses([key])]
            text = partition_text(defs, key, partition, recorded)
        if kind == "upstream":
            return list(store.upstream(key, text, depth=depth)), defs
        if kind == "downstream":
            return list(store.downstream(key, text, depth=depth)), defs
        return list(store.impact(key, text, depth=depth)), defs


def _run(
    kind: str,
    key: str,
    partition: str | None,
    depth: int,
    as_json: bool,
    module: str | None,
    project_dir: Path | None,
) -> None:
    try:
        rows, defs = _query(kind, key, partition, depth, module, project_dir)
    except FlowError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps([_row_json(r, defs) for r in rows], indent=2))
    else:
        _print(kind, key, partition, depth, rows, defs)


def _row_json(row: LineageNode | ImpactRow, defs: Definitions | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "asset": row.asset_key,
        "partition": row.partition,
        "partition_display": _shown(defs, row.asset_key, row.partition),
        "depth": row.depth,
    }
    from ..store import ImpactRow as Impact

    if isinstance(row, Impact):
        out["status"] = row.status.value if row.status is not None else None
        out["materialization_id"] = row.materialization_id
        out["run_id"] = row.run_id
        out["finished_at"] = row.finished_at.isoformat() if row.finished_at else None
    return out


def _print(
    kind: str,
    key: str,
    partition: str | None,
    depth: int,
    rows: list[Any],
    defs: Definitions | None,
) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    start = key if partition is None else f"{key}[{partition}]"
    if not rows:
        console.print(f"no {kind} lineage recorded for {start} (depth {depth})")
        return
    title = f"{kind} of {start} (depth ≤ {depth})"
    columns = ["depth", "asset", "partition"]
    if kind == "impact":
        columns += ["latest status", "finished", "run"]
    table = Table(*columns, title=title)
    for row in rows:
        cells = [str(row.depth), row.asset_key, _shown(defs, row.asset_key, row.partition) or ""]
        if kind == "impact":
            status = row.status.value if row.status is not None else "never materialized"
            style = _STATUS_STYLE.get(status, "")
            cells += [
                f"[{style}]{status}[/]" if style else status,
                row.finished_at.strftime("%Y-%m-%d %H:%M:%S") if row.finished_at else "",
                (row.run_id or "")[:12],
            ]
        table.add_row(*cells)
    console.print(table)


def _add_command(kind: str, help_text: str) -> None:
    """Register ``flow lineage KIND``; the three walks take the same arguments."""

    def command(
        key: str = _KEY,
        partition: str | None = _PARTITION,
        depth: int = _DEPTH,
        as_json: bool = _JSON,
        module: str | None = _MODULE,
        project_dir: Path | None = _PROJECT,
    ) -> None:
        _run(kind, key, partition, depth, as_json, module, project_dir)

    app.command(name=kind, help=help_text)(command)


_add_command("upstream", "What KEY was computed from, nearest first.")
_add_command("downstream", "What was computed from KEY, nearest first.")
_add_command("impact", "Everything downstream of KEY with the latest status of each.")
