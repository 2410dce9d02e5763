"""Audit events (who did what, when) and watermarks (how far a data flow has read)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import insert, select

from ._database import Database, dialect_insert
from ._records import AuditEvent
from ._schema import audit_events, watermarks

__all__ = ["Audit", "Watermarks"]

_E = audit_events
_W = watermarks


class Audit:
    """Queries on ``flow_audit_events``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(
        self, action: str, target: str, *, actor: str | None, details: Mapping[str, Any] | None
    ) -> None:
        """Append one event stamped now."""
        if not action:
            raise ValueError("an audit event needs a non-empty action")
        stmt = insert(_E).values(
            at=self.db.now(),
            actor=actor,
            action=action,
            target=target,
            details=dict(details) if details is not None else None,
        )
        self.db.write(lambda conn: conn.execute(stmt))

    def query(self, *, action: str | None, target: str | None, limit: int) -> list[AuditEvent]:
        """Events matching the filters, newest first, at most ``limit``."""
        stmt = select(_E).order_by(_E.c.id.desc()).limit(max(0, int(limit)))
        if action is not None:
            stmt = stmt.where(_E.c.action == action)
        if target is not None:
            stmt = stmt.where(_E.c.target == target)
        return self.db.read(lambda conn: [_event(r) for r in conn.execute(stmt)])


class Watermarks:
    """Queries on ``flow_watermarks``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, namespace: str, key: str) -> str | None:
        """The stored value, or None."""
        stmt = select(_W.c.value).where(_W.c.namespace == namespace, _W.c.key == key)
        return self.db.read(lambda conn: conn.execute(stmt).scalar())

    def set(self, namespace: str, key: str, value: str) -> None:
        """Insert or replace the value."""
        if not isinstance(value, str):
            raise TypeError(f"a watermark value is a string, got {type(value).__name__}")
        now = self.db.now()
        stmt = dialect_insert(self.db.dialect, _W).values(
            namespace=namespace, key=key, value=value, updated_at=now
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[_W.c.namespace, _W.c.key], set_={"value": value, "updated_at": now}
        )
        self.db.write(lambda conn: conn.execute(stmt))


def _event(row: Any) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        actor=row.actor,
        action=row.action,
        target=row.target,
        details=row.details,
    )
