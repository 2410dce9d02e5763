"""``flow approvals list|approve|reject``: the materializations waiting for a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from ..errors import FlowError

if TYPE_CHECKING:
    from ..store import Approval, MetadataStore

__all__ = ["app"]

app = typer.Typer(
    help="List, approve or reject materializations waiting for approval.", no_args_is_help=True
)

_PROJECT_HELP = "The project directory (its .flow/flow.db is the store unless FLOW_DATABASE_URL)."
_ACTOR_HELP = "Who decides (default: the OS user name); recorded in the audit log."


def _open(project_dir: Path | None) -> MetadataStore:
    from ..store import MetadataStore

    return MetadataStore.open(project_dir=project_dir)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _as_json(item: Approval) -> dict[str, Any]:
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    return {
        "id": item.id,
        "asset": item.asset_key,
        "partition": item.partition,
        "status": item.status.value,
        "reason": item.reason,
        "materialization_id": item.materialization_id,
        "created_at": when(item.created_at),
        "expires_at": when(item.expires_at),
        "decided_at": when(item.decided_at),
        "actor": item.actor,
        "decision_reason": item.decision_reason,
    }


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", help="Every approval, not only pending ones."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON list."),
    project_dir: Path | None = typer.Option(None, "--project-dir", help=_PROJECT_HELP),
) -> None:
    """Show pending approvals (or all of them with --all)."""
    try:
        with _open(project_dir) as store:
            items = store.list_approvals(None if all_ else "pending")
    except FlowError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps([_as_json(i) for i in items], indent=2))
        return
    _table(items, all_)


def _table(items: list[Approval], all_: bool) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    if not items:
        console.print("no approvals" if all_ else "no pending approvals")
        return
    table = Table("id", "asset", "partition", "status", "reason", "requested", "expires", "by")
    for item in items:
        table.add_row(
            str(item.id),
            item.asset_key,
            item.partition or "",
            item.status.value,
            item.reason,
            item.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            item.expires_at.strftime("%Y-%m-%d %H:%M:%S") if item.expires_at else "",
            item.actor or "",
        )
    console.print(table)


@app.command()
def approve(
    approval_id: int = typer.Argument(..., help="The approval's id (see `flow approvals list`)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (recorded; the asset sees it)."),
    actor: str | None = typer.Option(None, "--actor", help=_ACTOR_HELP),
    module: str | None = typer.Option(
        None, "--module", "-m", help="The module defining the asset (default: project setting)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the resumed result as JSON."),
    project_dir: Path | None = typer.Option(None, "--project-dir", help=_PROJECT_HELP),
) -> None:
    """Approve and resume the materialization (the asset runs again and sees the decision)."""
    from ..assets.approvals import approve as do_approve

    try:
        with _open(project_dir) as store:
            result = do_approve(
                approval_id,
                actor=actor,
                reason=reason,
                module=module,
                project_dir=project_dir,
                store=store,
            )
    except FlowError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        typer.echo(f"approval {approval_id} approved; {result.label}: {result.status.value}")
        if result.error:
            typer.echo(f"  {result.error}")
    if not result.ok and result.status.value != "waiting_approval":
        raise typer.Exit(1)


@app.command()
def reject(
    approval_id: int = typer.Argument(..., help="The approval's id (see `flow approvals list`)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (recorded with the failure)."),
    actor: str | None = typer.Option(None, "--actor", help=_ACTOR_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the decided approval as JSON."),
    project_dir: Path | None = typer.Option(None, "--project-dir", help=_PROJECT_HELP),
) -> None:
    """Reject: the materialization fails with "rejected by ACTOR: reason"."""
    from ..assets.approvals import reject as do_reject

    try:
        with _open(project_dir) as store:
            decided = do_reject(approval_id, actor=actor, reason=reason, store=store)
    except FlowError as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps(_as_json(decided), indent=2))
    else:
        typer.echo(f"approval {approval_id} ({decided.asset_key}) rejected by {decided.actor}")
