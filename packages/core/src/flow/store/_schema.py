"""The tables of the metadata store (SQLAlchemy Core), as of the newest migration.

Every table is prefixed ``flow_`` so the store can share a PostgreSQL
database with other applications. Partitions are stored as ``''`` for "no
partition" (a NOT NULL column keeps equality joins and indexes simple in
both databases; NULL never equals NULL); the API turns ``''`` back into None.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NO_PARTITION",
    "approvals",
    "audit_events",
    "from_db_partition",
    "lineage",
    "materializations",
    "metadata",
    "runs",
    "schedules",
    "schema_versions",
    "to_db_partition",
    "watermarks",
]

#: The stored form of "no partition".
NO_PARTITION = ""


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that goes in as an aware datetime and always comes out UTC-aware.

    SQLite keeps no zone (values are stored as UTC text); PostgreSQL's
    ``timestamptz`` comes back in the session's zone, so both are normalised.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} given to the metadata store")
        utc_value = value.astimezone(UTC)
        return utc_value.replace(tzinfo=None) if dialect.name == "sqlite" else utc_value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _serial_id() -> Column[int]:
    """An auto-incremented integer primary key ``id``."""
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _materialization_id() -> Column[int]:
    """The materialization a row belongs to; the row is deleted with it."""
    return Column(
        "materialization_id",
        Integer,
        ForeignKey("flow_materializations.id", ondelete="CASCADE"),
        nullable=False,
    )


metadata = MetaData()

schema_versions = Table(
    "flow_schema",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", String(200), nullable=False),
    Column("applied_at", UTCDateTime, nullable=False),
)

runs = Table(
    "flow_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("target", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("error", Text),
    Column("tags", JSON),
    Index("ix_flow_runs_started_at", "started_at"),
)

materializations = Table(
    "flow_materializations",
    metadata,
    _serial_id(),
    Column("run_id", String(64), ForeignKey("flow_runs.id"), nullable=False),
    Column("asset_key", String(512), nullable=False),
    Column("partition", Text, nullable=False, default=NO_PARTITION),
    Column("status", String(32), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("duration", Float),
    Column("error", Text),
    Column("traceback", Text),
    Column("metadata", JSON),
    # latest_materialization / impact: newest id per (asset, partition).
    Index("ix_flow_mat_asset_partition_id", "asset_key", "partition", "id"),
    Index("ix_flow_mat_run", "run_id"),
    Index("ix_flow_mat_status", "status"),
)

lineage = Table(
    "flow_lineage",
    metadata,
    _serial_id(),
    _materialization_id(),
    Column("downstream_key", String(512), nullable=False),
    Column("downstream_partition", Text, nullable=False),
    Column("upstream_key", String(512), nullable=False),
    Column("upstream_partition", Text, nullable=False),
    # upstream(): walk from a downstream node; downstream()/impact(): from an upstream node.
    Index("ix_flow_lineage_down", "downstream_key", "downstream_partition"),
    Index("ix_flow_lineage_up", "upstream_key", "upstream_partition"),
    Index("ix_flow_lineage_mat", "materialization_id"),
)

approvals = Table(
    "flow_approvals",
    metadata,
    _serial_id(),
    _materialization_id(),
    Column("asset_key", String(512), nullable=False),
    Column("partition", Text, nullable=False),
    Column("status", String(32), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime),
    Column("decided_at", UTCDateTime),
    Column("actor", String(256)),
    Column("decision_reason", Text),
    Index("ix_flow_approvals_status", "status", "expires_at"),
    Index("ix_flow_approvals_mat", "materialization_id"),
)

schedules = Table(
    "flow_schedules",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("cron", String(256), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("next_fire_at", UTCDateTime),
    Column("last_fired_at", UTCDateTime),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

audit_events = Table(
    "flow_audit_events",
    metadata,
    _serial_id(),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(256)),
    Column("action", String(128), nullable=False),
    Column("target", Text, nullable=False),
    Column("details", JSON),
    Index("ix_flow_audit_action", "action", "id"),
    Index("ix_flow_audit_target", "target", "id"),
)

watermarks = Table(
    "flow_watermarks",
    metadata,
    Column("namespace", String(256), primary_key=True),
    Column("key", String(512), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


def to_db_partition(partition: str | None) -> str:
    """The stored form of a partition: ``''`` for None; an empty string is refused."""
    if partition is None:
        return NO_PARTITION
    if not isinstance(partition, str) or not partition:
        raise ValueError(
            f"partition must be a non-empty serialized partition key or None, got {partition!r}"
        )
    return partition


def from_db_partition(stored: str) -> str | None:
    """The API form of a stored partition (``''`` is None)."""
    return stored or None
