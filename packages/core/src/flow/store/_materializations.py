"""Materializations: one row per computation of an asset for one partition."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..errors import UnknownRecordError
from ._database import Database
from ._fastpath import SqliteStatements
from ._records import Materialization, MaterializationRecord, Node, Status, utc
from ._schema import from_db_partition, lineage, materializations, to_db_partition

__all__ = ["Materializations", "lineage_rows", "materialization_from_row"]

_M = materializations
# SQLite allows 32766 bound parameters per statement; keep IN lists well below it.
_IN_CHUNK = 500
_STARTED_CACHE = 10_000


class Materializations:
    """Queries on ``flow_materializations`` (and lineage rows written with a batch)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # started_at of materializations this store started, so finishing needs no SELECT.
        self._started: dict[int, datetime] = {}
        # Statements built once: building one per call costs more than running it.
        self._insert = insert(_M).returning(_M.c.id)
        self._finish = update(_M).where(_M.c.id == bindparam("mid"))
        self._started_at = select(_M.c.started_at).where(_M.c.id == bindparam("mid"))
        self._fast: SqliteStatements | None = None
        if db.dialect == "sqlite":
            self._fast = SqliteStatements(db.engine.dialect)

    def start(self, *, run_id: str, asset_key: str, partition: str | None, status: Status) -> int:
        """Insert a materialization that started now; returns its id."""
        now = self.db.now()
        values = {
            "run_id": run_id,
            "asset_key": _key(asset_key),
            "partition": to_db_partition(partition),
            "status": Status(status).value,
            "started_at": now,
        }

        def work(conn: Connection) -> int:
            try:
                return int(conn.execute(self._insert, values).scalar_one())
            except IntegrityError as exc:
                raise UnknownRecordError(
                    f"no run with id {run_id!r} in {self.db.url}: call create_run first"
                ) from exc

        fast = self._fast
        if fast is not None:
            mid = self.db.write_sqlite(lambda raw: fast.insert_one(raw, values))
        else:
            mid = self.db.write(work)
        if len(self._started) >= _STARTED_CACHE:
            self._started.clear()  # unfinished ones (e.g. waiting approval) fall back to a SELECT
        self._started[mid] = now
        return mid

    def finish(
        self,
        mid: int,
        *,
        status: Status,
        error: str | None,
        traceback: str | None,
        metadata: Mapping[str, Any] | None,
    ) -> None:
        """Set the final status, finish time, duration, error and metadata."""
        now = self.db.now()
        started = self._started.pop(mid, None)
        values = {
            "status": Status(status).value,
            "finished_at": now,
            "error": error,
            "traceback": traceback,
            "metadata": dict(metadata) if metadata is not None else None,
        }

        def work(conn: Connection) -> None:
            begun = started
            if begun is None:
                begun = conn.execute(self._started_at, {"mid": mid}).scalar()
                if begun is None:
                    raise UnknownRecordError(f"no materialization with id {mid} in {self.db.url}")
            params = {"mid": mid, "duration": max(0.0, (now - begun).total_seconds()), **values}
            if conn.execute(self._finish, params).rowcount == 0:
                raise UnknownRecordError(f"no materialization with id {mid} in {self.db.url}")

        fast = self._fast
        if fast is not None and started is not None:
            duration = max(0.0, (now - started).total_seconds())
            params = {"duration": duration, **values}
            if self.db.write_sqlite(lambda raw: fast.finish_one(raw, mid, params)):
                return
            raise UnknownRecordError(f"no materialization with id {mid} in {self.db.url}")
        self.db.write(work)

    def set_status(self, mid: int, status: Status) -> None:
        """Change the status only (e.g. to ``waiting_approval`` or back to ``running``)."""
        stmt = update(_M).where(_M.c.id == mid).values(status=Status(status).value)

        def work(conn: Connection) -> None:
            if conn.execute(stmt).rowcount == 0:
                raise UnknownRecordError(f"no materialization with id {mid} in {self.db.url}")

        self.db.write(work)

    def get(self, mid: int) -> Materialization | None:
        """The materialization with that id, or None."""
        stmt = select(_M).where(_M.c.id == mid)
        row = self.db.read(lambda conn: conn.execute(stmt).first())
        return materialization_from_row(row) if row is not None else None

    def latest(self, asset_key: str, partition: str | None) -> Materialization | None:
        """The newest materialization of ``(asset_key, partition)``, or None."""
        stmt = (
            select(_M)
            .where(_M.c.asset_key == asset_key, _M.c.partition == to_db_partition(partition))
            .order_by(_M.c.id.desc())
            .limit(1)
        )
        row = self.db.read(lambda conn: conn.execute(stmt).first())
        return materialization_from_row(row) if row is not None else None

    def latest_statuses(
        self, asset_keys: Iterable[str] | None
    ) -> dict[tuple[str, str | None], Materialization]:
        """The newest materialization of every (asset, partition), optionally for some assets."""
        keys = None if asset_keys is None else sorted(set(asset_keys))

        def work(conn: Connection) -> list[Row[Any]]:
            if keys is None:
                return list(conn.execute(_latest_query(None)))
            rows: list[Row[Any]] = []
            for i in range(0, len(keys), _IN_CHUNK):
                rows.extend(conn.execute(_latest_query(keys[i : i + _IN_CHUNK])))
            return rows

        found = (materialization_from_row(r) for r in self.db.read(work))
        return {(m.asset_key, m.partition): m for m in found}

    def succeeded_partitions(self, asset_key: str) -> set[str | None]:
        """Every partition of ``asset_key`` that has at least one successful materialization."""
        stmt = (
            select(_M.c.partition)
            .where(_M.c.asset_key == asset_key, _M.c.status == Status.SUCCESS.value)
            .distinct()
        )
        stored = self.db.read(lambda conn: list(conn.execute(stmt).scalars()))
        return {from_db_partition(p) for p in stored}

    def query(
        self,
        *,
        asset_key: str | None,
        run_id: str | None,
        status: Status | None,
        limit: int,
    ) -> list[Materialization]:
        """Materializations matching every given filter, newest first, at most ``limit``."""
        stmt = select(_M).order_by(_M.c.id.desc()).limit(max(0, int(limit)))
        if asset_key is not None:
            stmt = stmt.where(_M.c.asset_key == asset_key)
        if run_id is not None:
            stmt = stmt.where(_M.c.run_id == run_id)
        if status is not None:
            stmt = stmt.where(_M.c.status == Status(status).value)
        rows = self.db.read(lambda conn: list(conn.execute(stmt)))
        return [materialization_from_row(r) for r in rows]

    def record_many(self, records: Sequence[MaterializationRecord]) -> list[int]:
        """Insert finished records and their lineage edges in one transaction; returns ids."""
        if not records:
            return []
        values = [_record_values(r) for r in records]
        if self._fast is not None:
            return self.db.write_sqlite(lambda raw: self._record_sqlite(raw, records, values))
        stmt = insert(_M).returning(_M.c.id, sort_by_parameter_order=True)

        def work(conn: Connection) -> list[int]:
            try:
                ids = [int(i) for i in conn.execute(stmt, values).scalars()]
            except IntegrityError as exc:
                run_ids = sorted({r.run_id for r in records})
                raise UnknownRecordError(
                    f"unknown run id among {run_ids} in {self.db.url}: call create_run first"
                ) from exc
            edges = [
                edge
                for mid, rec in zip(ids, records, strict=True)
                for edge in lineage_rows(mid, (rec.asset_key, rec.partition), rec.upstream)
            ]
            if edges:
                conn.execute(insert(lineage), edges)
            return ids

        return self.db.write(work)

    def _record_sqlite(
        self,
        raw: sqlite3.Connection,
        records: Sequence[MaterializationRecord],
        values: list[dict[str, Any]],
    ) -> list[int]:
        assert self._fast is not None
        ids = self._fast.insert_many(raw, values)
        edges = [
            edge
            for mid, rec in zip(ids, records, strict=True)
            for edge in lineage_rows(mid, (rec.asset_key, rec.partition), rec.upstream)
        ]
        if edges:
            self._fast.insert_edges(raw, edges)
        return ids


def _key(asset_key: str) -> str:
    if not isinstance(asset_key, str) or not asset_key:
        raise ValueError(f"asset_key must be a non-empty string, got {asset_key!r}")
    return asset_key


def _record_values(rec: MaterializationRecord) -> dict[str, Any]:
    started, finished = utc(rec.started_at, "started_at"), utc(rec.finished_at, "finished_at")
    duration = rec.duration
    if duration is None:
        duration = max(0.0, (finished - started).total_seconds())
    return {
        "run_id": rec.run_id,
        "asset_key": _key(rec.asset_key),
        "partition": to_db_partition(rec.partition),
        "status": Status(rec.status).value,
        "started_at": started,
        "finished_at": finished,
        "duration": duration,
        "error": rec.error,
        "traceback": rec.traceback,
        "metadata": dict(rec.metadata) if rec.metadata is not None else None,
    }


def lineage_rows(mid: int, downstream: Node, upstream: Iterable[Node]) -> list[dict[str, Any]]:
    """The ``flow_lineage`` rows for one materialization (duplicates removed)."""
    down_key, down_part = _key(downstream[0]), to_db_partition(downstream[1])
    seen: dict[tuple[str, str], None] = {}
    for key, part in upstream:
        seen[(_key(key), to_db_partition(part))] = None
    return [
        {
            "materialization_id": mid,
            "downstream_key": down_key,
            "downstream_partition": down_part,
            "upstream_key": key,
            "upstream_partition": part,
        }
        for key, part in seen
    ]


def _latest_query(keys: list[str] | None) -> Any:
    newest = select(func.max(_M.c.id).label("id")).group_by(_M.c.asset_key, _M.c.partition)
    if keys is not None:
        newest = newest.where(_M.c.asset_key.in_(keys))
    sub = newest.subquery()
    return select(_M).join(sub, _M.c.id == sub.c.id)


def materialization_from_row(row: Row[Any]) -> Materialization:
    """A :class:`Materialization` from a ``flow_materializations`` row."""
    return Materialization(
        id=row.id,
        run_id=row.run_id,
        asset_key=row.asset_key,
        partition=from_db_partition(row.partition),
        status=Status(row.status),
        started_at=row.started_at,
        finished_at=row.finished_at,
        duration=row.duration,
        error=row.error,
        traceback=row.traceback,
        metadata=row._mapping["metadata"],
    )
