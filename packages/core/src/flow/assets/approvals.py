"""Deciding approvals: approve (and resume the materialization), reject, expire.

An asset that raises or returns :class:`~flow.assets.waiting.WaitForApproval`
leaves its materialization ``waiting_approval`` with a pending approval in the
metadata store. From there:

* :func:`approve` marks the approval approved, records an ``approve`` audit
  event and re-runs the asset through ``resume``; the asset sees the decision
  in ``context.approval``.
* :func:`reject` marks it rejected and the materialization ``failed`` with
  "rejected by ACTOR: reason" (audit ``reject``).
* :func:`expire_due` marks approvals past their timeout ``expired`` and their
  materializations ``failed`` with "approval expired" (audit ``expire``); the
  scheduler calls it on every tick.

Deciding an unknown, already decided or expired approval raises
:class:`~flow.errors.ApprovalError`. The actor defaults to the OS user.
"""

from __future__ import annotations

import asyncio
import getpass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApprovalError
from ..store import Approval, ApprovalStatus, MetadataStore, Status
from ._runs import open_store, store_scope

if TYPE_CHECKING:
    from .registry import Definitions
    from .results import MaterializationResult

__all__ = [
    "APPROVAL_EXPIRED",
    "approve",
    "approve_async",
    "default_actor",
    "expire_due",
    "reject",
]

#: The error text of a materialization whose approval expired.
APPROVAL_EXPIRED = "approval expired"
#: The actor recorded for expiries (nobody decided them).
SYSTEM_ACTOR = "flow"


def default_actor() -> str:
    """The OS user name, recorded as who decided (``--actor`` overrides it)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (e.g. a bare container UID)
        return "unknown"


def approve(
    approval_id: int,
    *,
    actor: str | None = None,
    reason: str | None = None,
    definitions: Definitions | None = None,
    module: str | None = None,
    project_dir: str | Path | None = None,
    store: MetadataStore | None = None,
) -> MaterializationResult:
    """Approve ``approval_id`` and resume its materialization; returns the resumed outcome.

    The asset is found in ``definitions`` (default: ``load_definitions(module,
    project_dir)``) before anything is decided, so an approval is never left
    approved without its materialization resumed. Call from synchronous code;
    in a coroutine use :func:`approve_async`.
    """
    return asyncio.run(
        approve_async(
            approval_id,
            actor=actor,
            reason=reason,
            definitions=definitions,
            module=module,
            project_dir=project_dir,
            store=store,
        )
    )


async def approve_async(
    approval_id: int,
    *,
    actor: str | None = None,
    reason: str | None = None,
    definitions: Definitions | None = None,
    module: str | None = None,
    project_dir: str | Path | None = None,
    store: MetadataStore | None = None,
) -> MaterializationResult:
    """:func:`approve` for coroutines (store calls run in a worker thread)."""
    from . import resume_async
    from .project import load_definitions

    who = actor or default_actor()
    with await open_store(store, project_dir) as db:
        pending = await asyncio.to_thread(_pending, db, approval_id)
        defs = definitions
        if defs is None:
            defs = await asyncio.to_thread(load_definitions, module, project_dir)
        if pending.asset_key not in defs.assets:
            raise ApprovalError(
                f"approval {approval_id} is for asset {pending.asset_key!r}, which is not among "
                f"the loaded assets ({len(defs.assets)} found); pass --module (or set the "
                "project's assets module) so it can be resumed"
            )
        decided = await asyncio.to_thread(_decide, db, approval_id, True, who, reason)
        await asyncio.to_thread(_audit, db, "approve", decided, who)
        result: MaterializationResult = await resume_async(
            decided.materialization_id, approval=decided, definitions=defs, store=db
        )
        await asyncio.to_thread(_settle_run, db, result.run_id, result.error)
        return result


def reject(
    approval_id: int,
    *,
    actor: str | None = None,
    reason: str | None = None,
    project_dir: str | Path | None = None,
    store: MetadataStore | None = None,
) -> Approval:
    """Reject ``approval_id``: its materialization fails with "rejected by ACTOR: reason"."""
    who = actor or default_actor()
    with store_scope(store, project_dir) as db:
        decided = _decide(db, approval_id, False, who, reason)
        error = f"rejected by {who}" + (f": {reason}" if reason else "")
        _fail(db, decided, error)
        _audit(db, "reject", decided, who)
        return decided


def expire_due(
    now: datetime | None = None,
    *,
    project_dir: str | Path | None = None,
    store: MetadataStore | None = None,
) -> list[Approval]:
    """Expire every pending approval past its timeout at ``now`` (default: now); returns them.

    Their materializations fail with "approval expired"; each gets an ``expire`` audit event.
    """
    moment = now if now is not None else datetime.now(UTC)
    with store_scope(store, project_dir) as db:
        return _expire(db, moment)


# -- helpers -------------------------------------------------------------------------------


def _pending(db: MetadataStore, approval_id: int) -> Approval:
    """The approval, checked to be decidable now (pending and not past its timeout)."""
    found = db.get_approval(approval_id)
    if found is None:
        raise ApprovalError(
            f"no approval with id {approval_id} in {db.url}; "
            "`flow approvals list` shows the pending ones"
        )
    if found.status is ApprovalStatus.PENDING:
        if found.expires_at is None or found.expires_at > datetime.now(UTC):
            return found
        _expire(db, datetime.now(UTC))
        found = db.get_approval(approval_id) or found
    by = f" by {found.actor}" if found.actor else ""
    raise ApprovalError(
        f"approval {approval_id} ({found.asset_key}) is already {found.status.value}{by}; "
        "only pending approvals can be decided"
    )


def _decide(
    db: MetadataStore, approval_id: int, approved: bool, actor: str, reason: str | None
) -> Approval:
    try:
        return db.decide_approval(approval_id, approved=approved, actor=actor, reason=reason)
    except ApprovalError:
        # The store marks an approval past its timeout expired before refusing it.
        late = db.get_approval(approval_id)
        if late is not None and late.status is ApprovalStatus.EXPIRED:
            _settle_expired(db, late)
        raise


def _expire(db: MetadataStore, now: datetime) -> list[Approval]:
    expired = db.expire_approvals(now)
    for item in expired:
        _settle_expired(db, item)
    return expired


def _settle_expired(db: MetadataStore, item: Approval) -> None:
    """Fail the materialization of an expired approval, once (with its audit event)."""
    if _fail(db, item, APPROVAL_EXPIRED):
        _audit(db, "expire", item, SYSTEM_ACTOR)


def _fail(db: MetadataStore, item: Approval, error: str) -> bool:
    """Mark the waiting materialization failed; False when it no longer waits."""
    found = db.get_materialization(item.materialization_id)
    if found is None or found.status is not Status.WAITING_APPROVAL:
        return False
    db.finish_materialization(item.materialization_id, status=Status.FAILED, error=error)
    _settle_run(db, found.run_id, f"{_label(item)}: {error}")
    return True


def _settle_run(db: MetadataStore, run_id: str, error: str | None) -> None:
    """Finish a run that waited for approvals once none of its materializations waits."""
    run = db.get_run(run_id)
    if run is None or run.status is not Status.WAITING_APPROVAL:
        return
    if db.list_materializations(run_id=run_id, status=Status.WAITING_APPROVAL, limit=1):
        return
    failed = db.list_materializations(run_id=run_id, status=Status.FAILED, limit=1)
    if failed:
        db.finish_run(run_id, Status.FAILED, error or failed[0].error)
    else:
        db.finish_run(run_id, Status.SUCCESS)


def _label(item: Approval) -> str:
    return item.asset_key if item.partition is None else f"{item.asset_key}[{item.partition}]"


def _audit(db: MetadataStore, action: str, item: Approval, actor: str) -> None:
    details: dict[str, Any] = {
        "approval_id": item.id,
        "materialization_id": item.materialization_id,
        "partition": item.partition,
        "reason": item.decision_reason,
    }
    db.audit(action, item.asset_key, actor=actor, details=details)
