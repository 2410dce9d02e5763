"""``flow run [FLOW ...]``: move the entities of data flows from their homes to their stores."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..errors import FlowError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..dataflows import FlowDefinition, PlanRow, Runner, RunResult

__all__ = ["run"]

_STYLE = {"success": "green", "failed": "red", "running": "cyan", "retrying": "yellow"}


def run(
    flows: list[str] | None = typer.Argument(
        None, help="Flows to run (directory names under flows/). Default: every flow."
    ),
    entity: list[str] | None = typer.Option(
        None, "--entity", "-e", help="Only this entity (repeatable); also runs disabled ones."
    ),
    full_refresh: bool = typer.Option(
        False, "--full-refresh", help="Ignore watermarks: read everything, replace the stores."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Validate and print the plan (home → store, watermark); move nothing.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead of tables."),
    project: Path | None = typer.Option(
        None, "--project", "--project-dir", help="The project directory (default: the current one)."
    ),
) -> None:
    """Move the entities of data flows from their homes to their stores."""
    from rich.console import Console

    out, err = Console(), Console(stderr=True)
    try:
        loaded = _load(flows, project)
        if dry_run:
            _dry_run(loaded, entity, full_refresh, project, json_output, out)
            return
        result = asyncio.run(_run(loaded, entity, full_refresh, project, json_output, err))
    except KeyboardInterrupt:
        err.print("[red]interrupted[/red]: staging aborted, watermarks unchanged")
        raise typer.Exit(130) from None
    except FlowError as exc:
        _fail(str(exc), json_output, out, err)
        raise typer.Exit(2) from None
    if json_output:
        out.print_json(json.dumps(result.to_dict()))
    else:
        out.print(_summary(result))
        _print_errors(result, err)
    if not result.ok:
        raise typer.Exit(1)


def _load(names: Sequence[str] | None, project: Path | None) -> list[FlowDefinition]:
    from ..dataflows import load_flows

    return load_flows(names or None, project_dir=project)


def _dry_run(
    flows: list[FlowDefinition],
    entities: Sequence[str] | None,
    full_refresh: bool,
    project: Path | None,
    json_output: bool,
    out: Console,
) -> None:
    from ..dataflows import plan
    from ..store import MetadataStore

    with MetadataStore.open(project_dir=project) as metadata:
        rows = plan(flows, metadata, entities=entities, full_refresh=full_refresh)
    if json_output:
        out.print_json(json.dumps({"dry_run": True, "plan": [r.to_dict() for r in rows]}))
    else:
        out.print(_plan_table(rows))
        out.print(f"dry run: {len(rows)} entities would move; nothing was moved")


async def _run(
    flows: list[FlowDefinition],
    entities: Sequence[str] | None,
    full_refresh: bool,
    project: Path | None,
    json_output: bool,
    err: Console,
) -> RunResult:
    from ..dataflows import Runner
    from ..store import MetadataStore

    with MetadataStore.open(project_dir=project) as metadata:
        runner = Runner(flows, metadata, entities=entities, full_refresh=full_refresh)
        if json_output or not err.is_terminal:
            return await runner.run()
        from rich.live import Live

        # The display polls the runner's counters 4 times a second: no per-batch cost.
        with Live(get_renderable=lambda: _progress(runner), console=err, refresh_per_second=4):
            return await runner.run()


def _progress(runner: Runner) -> Table:
    from rich.table import Table

    now = runner.clock.monotonic()
    table = Table(title="flow run", title_justify="left", expand=False)
    for column in ("entity", "status", "rows", "rows/s", "seconds"):
        table.add_column(column, justify="right" if column[0] in "rs" else "left")
    for p in runner.progress:
        status = p.status if p.attempt <= 1 else f"{p.status} (try {p.attempt})"
        table.add_row(
            f"{p.flow}/{p.entity}",
            f"[{_STYLE.get(p.status, 'dim')}]{status}[/]",
            f"{p.rows:,}",
            f"{p.rows_per_second(now):,.0f}",
            f"{p.seconds(now):.1f}",
        )
    return table


def _summary(result: RunResult) -> Table:
    from rich.table import Table

    from ..dataflows.watermarks import format_watermark

    table = Table(title=f"flow run {result.run_id}", title_justify="left")
    for column in ("entity", "home → store", "status", "rows", "rows/s", "seconds", "watermark"):
        table.add_column(
            column, justify="right" if column in ("rows", "rows/s", "seconds") else "left"
        )
    for e in result.entities:
        table.add_row(
            e.asset_key,
            f"{e.home} → {e.store}",
            f"[{_STYLE.get(str(e.status), 'dim')}]{e.status}[/]",
            f"{e.rows:,}",
            f"{e.rows_per_second:,.0f}",
            f"{e.seconds:.2f}",
            format_watermark(e.watermark_after),
        )
    failed = sum(e.status != "success" for e in result.entities)
    table.caption = (
        f"{len(result.entities)} entities, {failed} failed, {result.rows:,} rows "
        f"in {result.seconds:.2f} s"
    )
    return table


def _plan_table(rows: Sequence[PlanRow]) -> Table:
    from rich.table import Table

    from ..dataflows.watermarks import format_watermark

    table = Table(title="flow run --dry-run", title_justify="left")
    for column in ("entity", "home → store", "mode", "key", "timestamp", "watermark"):
        table.add_column(column)
    for r in rows:
        table.add_row(
            f"{r.flow}/{r.entity}",
            f"{r.home} → {r.store}",
            r.mode,
            ", ".join(r.key) if r.key else "-",
            r.timestamp or "-",
            format_watermark(r.watermark),
        )
    return table


def _print_errors(result: RunResult, err: Console) -> None:
    for e in result.entities:
        if e.error:
            tries = f"{e.attempts} tries" if e.attempts != 1 else "1 try"
            err.print(f"[red]{e.asset_key} failed[/red] after {tries}: {_escape(e.error)}")


def _fail(message: str, json_output: bool, out: Console, err: Console) -> None:
    if json_output:
        out.print_json(json.dumps({"error": message}))
    else:
        err.print(f"[red]error:[/red] {_escape(message)}")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
