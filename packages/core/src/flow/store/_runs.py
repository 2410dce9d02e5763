"""Runs: one row per materialize, materialize_all or backfill call."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Row, select, update

from ..errors import UnknownRecordError
from ._database import Database, dialect_insert
from ._records import Run, Status
from ._schema import runs

__all__ = ["Runs"]


class Runs:
    """Queries on ``flow_runs``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def create(
        self, *, kind: str, target: str, run_id: str | None, tags: Mapping[str, str] | None
    ) -> str:
        """Insert a running run (an existing ``run_id`` is kept as is); returns its id."""
        rid = run_id if run_id is not None else uuid.uuid4().hex
        if not rid or len(rid) > 64:
            raise ValueError(f"run_id must be 1-64 characters, got {rid!r}")
        stmt = (
            dialect_insert(self.db.dialect, runs)
            .values(
                id=rid,
                kind=kind,
                target=target,
                status=Status.RUNNING.value,
                started_at=self.db.now(),
                tags=dict(tags) if tags else None,
            )
            .on_conflict_do_nothing(index_elements=[runs.c.id])
        )
        self.db.write(lambda conn: conn.execute(stmt))
        return rid

    def finish(self, run_id: str, status: Status, error: str | None) -> None:
        """Set the final status, error text and finish time of a run."""
        stmt = (
            update(runs)
            .where(runs.c.id == run_id)
            .values(status=Status(status).value, error=error, finished_at=self.db.now())
        )

        def work(conn: Connection) -> None:
            if conn.execute(stmt).rowcount == 0:
                raise UnknownRecordError(f"no run with id {run_id!r} in {self.db.url}")

        self.db.write(work)

    def get(self, run_id: str) -> Run | None:
        """The run with that id, or None."""
        stmt = select(runs).where(runs.c.id == run_id)
        row = self.db.read(lambda conn: conn.execute(stmt).first())
        return _run(row) if row is not None else None


def _run(row: Row[Any]) -> Run:
    return Run(
        id=row.id,
        kind=row.kind,
        target=row.target,
        status=Status(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
        tags=dict(row.tags or {}),
    )
