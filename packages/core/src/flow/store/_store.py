"""``MetadataStore``: the one object the rest of Flow uses to persist runs and their history.

This module does not import SQLAlchemy: :meth:`MetadataStore.open` does, so
``import flow.store`` stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

from ..clock import SYSTEM_CLOCK, Clock
from ._records import (
    Approval,
    AuditEvent,
    ImpactRow,
    LineageNode,
    Materialization,
    MaterializationRecord,
    Node,
    Run,
    Schedule,
    Status,
)
from ._url import resolve_url

if TYPE_CHECKING:
    from ._database import Database

__all__ = ["MetadataStore"]


class MetadataStore:
    """Runs, materializations, lineage, approvals, schedules, audit events and watermarks.

    Open one with :meth:`open`; it is safe to share between threads (each
    call takes a pooled connection) and between processes (SQLite WAL with
    busy retries, or PostgreSQL). Every call is one transaction. All
    datetimes are timezone-aware UTC. Partitions are serialized partition
    keys (non-empty strings) or None.
    """

    def __init__(self, db: Database) -> None:
        """Use :meth:`open` instead; this wraps an already migrated database."""
        from ._approvals import Approvals
        from ._audit import Audit, Watermarks
        from ._lineage import Lineage
        from ._materializations import Materializations
        from ._runs import Runs
        from ._schedules import Schedules

        self._db = db
        self._runs = Runs(db)
        self._mats = Materializations(db)
        self._lineage = Lineage(db)
        self._approvals = Approvals(db)
        self._schedules = Schedules(db)
        self._audit = Audit(db)
        self._watermarks = Watermarks(db)
        #: The database URL with any password masked.
        self.url: str = db.url
        #: ``"sqlite"`` or ``"postgresql"``.
        self.dialect: str = db.dialect

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        project_dir: str | os.PathLike[str] | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> MetadataStore:
        """Open (creating and migrating as needed) the metadata store.

        ``url`` None → ``$FLOW_DATABASE_URL`` → ``sqlite:///<project_dir or
        cwd>/.flow/flow.db``. ``postgresql://`` URLs use psycopg 3. ``clock``
        stamps records (tests pass a :class:`~flow.clock.FakeClock`).
        Raises :class:`~flow.errors.StoreURLError` for a bad URL,
        :class:`~flow.errors.SchemaVersionError` when the database is newer
        than this code, :class:`~flow.errors.StoreError` when it is unreachable.
        """
        from ._database import Database
        from ._migrations import migrate

        db = Database(resolve_url(url, project_dir), clock=clock)
        try:
            migrate(db)
        except BaseException:
            db.close()
            raise
        return cls(db)

    @property
    def schema_version(self) -> int:
        """The schema version this code maintains (the database is at it once opened)."""
        from ._migrations import SCHEMA_VERSION

        return SCHEMA_VERSION

    def close(self) -> None:
        """Close the pooled connections (also done by ``with``)."""
        self._db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<MetadataStore {self.url}>"

    # -- runs -------------------------------------------------------------------------------

    def create_run(
        self,
        *,
        kind: str,
        target: str,
        run_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Record a run in status ``running``; returns its id (a new uuid hex unless given).

        Giving the id of an existing run keeps that run unchanged (a resumed run keeps its id).
        """
        return self._runs.create(kind=kind, target=target, run_id=run_id, tags=tags)

    def finish_run(self, run_id: str, status: Status, error: str | None = None) -> None:
        """Set a run's final status and finish time; ``UnknownRecordError`` if there is none."""
        self._runs.finish(run_id, status, error)

    def get_run(self, run_id: str) -> Run | None:
        """The run with that id, or None."""
        return self._runs.get(run_id)

    # -- materializations -------------------------------------------------------------------

    def start_materialization(
        self,
        *,
        run_id: str,
        asset_key: str,
        partition: str | None,
        status: Status = Status.RUNNING,
    ) -> int:
        """Record that a materialization started now; returns its id.

        ``run_id`` must exist (:meth:`create_run`), else ``UnknownRecordError``.
        """
        return self._mats.start(
            run_id=run_id, asset_key=asset_key, partition=partition, status=status
        )

    def finish_materialization(
        self,
        materialization_id: int,
        *,
        status: Status,
        error: str | None = None,
        traceback: str | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        """Set the final status, ``finished_at``, ``duration``, error text, traceback, metadata."""
        self._mats.finish(
            materialization_id, status=status, error=error, traceback=traceback, metadata=metadata
        )

    def set_status(self, materialization_id: int, status: Status) -> None:
        """Change only the status of a materialization (e.g. ``waiting_approval``)."""
        self._mats.set_status(materialization_id, status)

    def get_materialization(self, materialization_id: int) -> Materialization | None:
        """The materialization with that id, or None."""
        return self._mats.get(materialization_id)

    def latest_materialization(
        self, asset_key: str, partition: str | None = None
    ) -> Materialization | None:
        """The newest materialization of the asset for that partition (None: unpartitioned)."""
        return self._mats.latest(asset_key, partition)

    def latest_statuses(
        self, asset_keys: Iterable[str] | None = None
    ) -> dict[tuple[str, str | None], Materialization]:
        """The newest materialization per ``(asset_key, partition)``; all assets when None."""
        return self._mats.latest_statuses(asset_keys)

    def succeeded_partitions(self, asset_key: str) -> set[str | None]:
        """The partitions of the asset with at least one successful materialization."""
        return self._mats.succeeded_partitions(asset_key)

    def list_materializations(
        self,
        *,
        asset_key: str | None = None,
        run_id: str | None = None,
        status: Status | None = None,
        limit: int = 100,
    ) -> list[Materialization]:
        """Materializations matching every given filter, newest first."""
        return self._mats.query(asset_key=asset_key, run_id=run_id, status=status, limit=limit)

    def record_materializations(self, rows: Sequence[MaterializationRecord]) -> list[int]:
        """Insert finished materializations and their lineage in one transaction; returns ids.

        The hot path for many small assets: one commit for the whole batch.
        """
        return self._mats.record_many(rows)

    # -- lineage ----------------------------------------------------------------------------

    def add_lineage(
        self, materialization_id: int, downstream: Node, upstream: Iterable[Node]
    ) -> None:
        """Record that this materialization of ``downstream`` read each ``upstream`` node."""
        self._lineage.add(materialization_id, downstream, upstream)

    def upstream(
        self, asset_key: str, partition: str | None = None, *, depth: int = 10
    ) -> list[LineageNode]:
        """Nodes the asset was computed from, up to ``depth`` edges away, nearest first.

        ``partition=None`` starts from every recorded partition of the asset.
        """
        return self._lineage.walk("upstream", asset_key, partition, depth)

    def downstream(
        self, asset_key: str, partition: str | None = None, *, depth: int = 10
    ) -> list[LineageNode]:
        """Nodes computed from the asset, up to ``depth`` edges away, nearest first."""
        return self._lineage.walk("downstream", asset_key, partition, depth)

    def impact(
        self, asset_key: str, partition: str | None = None, *, depth: int = 10
    ) -> list[ImpactRow]:
        """:meth:`downstream` with the latest materialization status of each node."""
        return self._lineage.impact(asset_key, partition, depth)

    # -- approvals --------------------------------------------------------------------------

    def create_approval(
        self,
        *,
        materialization_id: int,
        asset_key: str,
        partition: str | None,
        reason: str,
        expires_at: datetime | None,
    ) -> int:
        """Record a pending approval for a materialization; returns its id."""
        return self._approvals.create(
            materialization_id=materialization_id,
            asset_key=asset_key,
            partition=partition,
            reason=reason,
            expires_at=expires_at,
        )

    def decide_approval(
        self, approval_id: int, *, approved: bool, actor: str, reason: str | None = None
    ) -> Approval:
        """Approve or reject a pending approval and return it as decided.

        Raises :class:`~flow.errors.ApprovalError` when the id is unknown, the
        approval was already decided, or it has expired (it is then marked so).
        """
        return self._approvals.decide(approval_id, approved=approved, actor=actor, reason=reason)

    def get_approval(self, approval_id: int) -> Approval | None:
        """The approval with that id, or None."""
        return self._approvals.get(approval_id)

    def list_approvals(self, status: str | None = "pending") -> list[Approval]:
        """Approvals in that status (pending, approved, rejected, expired; None: all)."""
        return self._approvals.query(status)

    def expire_approvals(self, now: datetime) -> list[Approval]:
        """Mark pending approvals past their ``expires_at`` as expired; returns them."""
        return self._approvals.expire(now)

    # -- schedules --------------------------------------------------------------------------

    def save_schedule(
        self,
        name: str,
        *,
        cron: str,
        timezone: str,
        next_fire_at: datetime | None,
        enabled: bool = True,
    ) -> None:
        """Create or update a schedule (its ``last_fired_at`` is kept)."""
        self._schedules.save(
            name, cron=cron, timezone=timezone, next_fire_at=next_fire_at, enabled=enabled
        )

    def get_schedule(self, name: str) -> Schedule | None:
        """The schedule with that name, or None."""
        return self._schedules.get(name)

    def list_schedules(self) -> list[Schedule]:
        """Every schedule, by name."""
        return self._schedules.query()

    def record_fire(self, name: str, *, fired_at: datetime, next_fire_at: datetime | None) -> None:
        """Persist a fire time and the next one; ``UnknownRecordError`` for an unknown name."""
        self._schedules.record_fire(name, fired_at=fired_at, next_fire_at=next_fire_at)

    # -- audit ------------------------------------------------------------------------------

    def audit(
        self,
        action: str,
        target: str,
        *,
        actor: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        """Append an audit event (``details`` must be JSON-serialisable)."""
        self._audit.add(action, target, actor=actor, details=details)

    def audit_events(
        self, *, action: str | None = None, target: str | None = None, limit: int = 100
    ) -> list[AuditEvent]:
        """Audit events matching the filters, newest first."""
        return self._audit.query(action=action, target=target, limit=limit)

    # -- watermarks -------------------------------------------------------------------------

    def get_watermark(self, namespace: str, key: str) -> str | None:
        """The watermark stored for ``(namespace, key)``, or None."""
        return self._watermarks.get(namespace, key)

    def set_watermark(self, namespace: str, key: str, value: str) -> None:
        """Store (or replace) the watermark for ``(namespace, key)``."""
        self._watermarks.set(namespace, key, value)
