"""Schedules: cron expressions with their persisted next (and last) fire times."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from ..errors import UnknownRecordError
from ._database import Database, dialect_insert
from ._records import Schedule, utc
from ._schema import schedules

__all__ = ["Schedules"]

_S = schedules


class Schedules:
    """Queries on ``flow_schedules``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def save(
        self, name: str, *, cron: str, timezone: str, next_fire_at: datetime | None, enabled: bool
    ) -> None:
        """Insert or update a schedule (``last_fired_at`` is kept)."""
        if not name:
            raise ValueError("a schedule needs a non-empty name")
        values = {
            "cron": cron,
            "timezone": timezone,
            "next_fire_at": utc(next_fire_at, "next_fire_at") if next_fire_at else None,
            "enabled": bool(enabled),
            "updated_at": self.db.now(),
        }
        stmt = dialect_insert(self.db.dialect, _S).values(name=name, **values)
        stmt = stmt.on_conflict_do_update(index_elements=[_S.c.name], set_=values)
        self.db.write(lambda conn: conn.execute(stmt))

    def get(self, name: str) -> Schedule | None:
        """The schedule with that name, or None."""
        stmt = select(_S).where(_S.c.name == name)
        row = self.db.read(lambda conn: conn.execute(stmt).first())
        return _schedule(row) if row is not None else None

    def query(self) -> list[Schedule]:
        """Every schedule, by name."""
        stmt = select(_S).order_by(_S.c.name)
        return self.db.read(lambda conn: [_schedule(r) for r in conn.execute(stmt)])

    def record_fire(self, name: str, *, fired_at: datetime, next_fire_at: datetime | None) -> None:
        """Persist that ``name`` fired at ``fired_at`` and when it fires next."""
        stmt = (
            update(_S)
            .where(_S.c.name == name)
            .values(
                last_fired_at=utc(fired_at, "fired_at"),
                next_fire_at=utc(next_fire_at, "next_fire_at") if next_fire_at else None,
                updated_at=self.db.now(),
            )
        )

        def work(conn: Connection) -> None:
            if conn.execute(stmt).rowcount == 0:
                raise UnknownRecordError(
                    f"no schedule named {name!r} in {self.db.url}: save_schedule first"
                )

        self.db.write(work)


def _schedule(row: Any) -> Schedule:
    return Schedule(
        name=row.name,
        cron=row.cron,
        timezone=row.timezone,
        next_fire_at=row.next_fire_at,
        last_fired_at=row.last_fired_at,
        enabled=bool(row.enabled),
        updated_at=row.updated_at,
    )
