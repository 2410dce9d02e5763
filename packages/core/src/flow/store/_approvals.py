"""Approvals: pending requests on materializations, and their decisions.

Decisions are compare-and-set updates (``WHERE status = 'pending'``), so two
people approving and rejecting at once cannot both win.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from ..errors import ApprovalError
from ._database import Database
from ._records import Approval, ApprovalStatus, utc
from ._schema import approvals, from_db_partition, to_db_partition

__all__ = ["Approvals"]

_A = approvals
_PENDING = ApprovalStatus.PENDING.value


class Approvals:
    """Queries on ``flow_approvals``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self,
        *,
        materialization_id: int,
        asset_key: str,
        partition: str | None,
        reason: str,
        expires_at: datetime | None,
    ) -> int:
        """Insert a pending approval; returns its id."""
        values = {
            "materialization_id": materialization_id,
            "asset_key": asset_key,
            "partition": to_db_partition(partition),
            "status": _PENDING,
            "reason": reason,
            "created_at": self.db.now(),
            "expires_at": utc(expires_at, "expires_at") if expires_at is not None else None,
        }
        stmt = insert(_A).values(values).returning(_A.c.id)
        return self.db.write(lambda conn: int(conn.execute(stmt).scalar_one()))

    def decide(
        self, approval_id: int, *, approved: bool, actor: str, reason: str | None
    ) -> Approval:
        """Approve or reject a pending approval; :class:`ApprovalError` otherwise."""
        now = self.db.now()
        decided = ApprovalStatus.APPROVED if approved else ApprovalStatus.REJECTED

        def work(conn: Connection) -> Approval | ApprovalError:
            current = _get(conn, approval_id)
            if current is None:
                return ApprovalError(f"no approval with id {approval_id} in {self.db.url}")
            if current.status is ApprovalStatus.PENDING and _past(current.expires_at, now):
                _set(conn, approval_id, ApprovalStatus.EXPIRED, now, None, None)
                current = _get(conn, approval_id)
                assert current is not None
            if current.status is not ApprovalStatus.PENDING:
                return ApprovalError(
                    f"approval {approval_id} ({current.asset_key}) is already "
                    f"{current.status.value}"
                    + (f" by {current.actor}" if current.actor else "")
                    + "; only pending approvals can be decided"
                )
            _set(conn, approval_id, decided, now, actor, reason)
            fresh = _get(conn, approval_id)
            assert fresh is not None
            return fresh

        # The expiry above must be committed even though the caller gets an error.
        result = self.db.write(work)
        if isinstance(result, ApprovalError):
            raise result
        return result

    def get(self, approval_id: int) -> Approval | None:
        """The approval with that id, or None."""
        return self.db.read(lambda conn: _get(conn, approval_id))

    def query(self, status: str | None) -> list[Approval]:
        """Approvals with that status (None: all), oldest first."""
        stmt = select(_A).order_by(_A.c.id)
        if status is not None:
            try:
                wanted = ApprovalStatus(status)
            except ValueError:
                known = ", ".join(s.value for s in ApprovalStatus)
                raise ValueError(
                    f"unknown approval status {status!r}; use one of {known}"
                ) from None
            stmt = stmt.where(_A.c.status == wanted.value)
        return self.db.read(lambda conn: [_approval(r) for r in conn.execute(stmt)])

    def expire(self, now: datetime) -> list[Approval]:
        """Mark pending approvals whose ``expires_at <= now`` as expired; returns them."""
        cutoff = utc(now, "now")

        def work(conn: Connection) -> list[Approval]:
            due = select(_A.c.id).where(
                _A.c.status == _PENDING, _A.c.expires_at.is_not(None), _A.c.expires_at <= cutoff
            )
            ids = list(conn.execute(due).scalars())
            expired = []
            for approval_id in ids:
                if _set(conn, approval_id, ApprovalStatus.EXPIRED, cutoff, None, None):
                    fresh = _get(conn, approval_id)
                    assert fresh is not None
                    expired.append(fresh)
            return expired

        return self.db.write(work)


def _past(expires_at: datetime | None, now: datetime) -> bool:
    return expires_at is not None and expires_at <= now


def _set(
    conn: Connection,
    approval_id: int,
    status: ApprovalStatus,
    at: datetime,
    actor: str | None,
    reason: str | None,
) -> bool:
    stmt = (
        update(_A)
        .where(_A.c.id == approval_id, _A.c.status == _PENDING)
        .values(status=status.value, decided_at=at, actor=actor, decision_reason=reason)
    )
    return bool(conn.execute(stmt).rowcount)


def _get(conn: Connection, approval_id: int) -> Approval | None:
    row = conn.execute(select(_A).where(_A.c.id == approval_id)).first()
    return _approval(row) if row is not None else None


def _approval(row: Any) -> Approval:
    return Approval(
        id=row.id,
        materialization_id=row.materialization_id,
        asset_key=row.asset_key,
        partition=from_db_partition(row.partition),
        status=ApprovalStatus(row.status),
        reason=row.reason,
        created_at=row.created_at,
        expires_at=row.expires_at,
        decided_at=row.decided_at,
        actor=row.actor,
        decision_reason=row.decision_reason,
    )
