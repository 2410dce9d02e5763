"""The records the metadata store returns: frozen dataclasses, datetimes always UTC-aware."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "Approval",
    "ApprovalStatus",
    "AuditEvent",
    "ImpactRow",
    "LineageNode",
    "Materialization",
    "MaterializationRecord",
    "Node",
    "Run",
    "Schedule",
    "Status",
]

#: An asset in the lineage graph: ``(asset_key, partition)``; partition None = unpartitioned.
Node = tuple[str, str | None]


class Status(StrEnum):
    """The status of a materialization (and of a run)."""

    PENDING = "pending"
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    WAITING_APPROVAL = "waiting_approval"
    SKIPPED = "skipped"


class ApprovalStatus(StrEnum):
    """The life cycle of an approval: pending, then approved, rejected or expired."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Run:
    """One run: a materialize, materialize_all or backfill call (``kind``) of a ``target``."""

    id: str
    kind: str
    target: str
    status: Status
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Materialization:
    """One computation of an asset for one partition, as persisted."""

    id: int
    run_id: str
    asset_key: str
    partition: str | None
    status: Status
    started_at: datetime
    finished_at: datetime | None
    duration: float | None
    error: str | None
    traceback: str | None
    metadata: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class MaterializationRecord:
    """A finished materialization for :meth:`MetadataStore.record_materializations`.

    ``upstream`` lists the ``(asset_key, partition)`` nodes it read; their
    lineage edges are written in the same transaction. ``duration`` defaults
    to ``finished_at - started_at``.
    """

    run_id: str
    asset_key: str
    partition: str | None
    status: Status
    started_at: datetime
    finished_at: datetime
    error: str | None = None
    traceback: str | None = None
    metadata: Mapping[str, Any] | None = None
    upstream: tuple[Node, ...] = ()
    duration: float | None = None


@dataclass(frozen=True, slots=True)
class LineageNode:
    """A node reached by a lineage query, at its smallest ``depth`` (1 = direct neighbour)."""

    asset_key: str
    partition: str | None
    depth: int


@dataclass(frozen=True, slots=True)
class ImpactRow:
    """A downstream node and its latest materialization (all None when never materialized)."""

    asset_key: str
    partition: str | None
    depth: int
    status: Status | None
    materialization_id: int | None
    run_id: str | None
    finished_at: datetime | None


@dataclass(frozen=True, slots=True)
class Approval:
    """A request for approval of one materialization, and its decision once made."""

    id: int
    materialization_id: int
    asset_key: str
    partition: str | None
    status: ApprovalStatus
    reason: str
    created_at: datetime
    expires_at: datetime | None
    decided_at: datetime | None
    actor: str | None
    decision_reason: str | None

    @property
    def approved(self) -> bool:
        """True when the decision was "approved"."""
        return self.status is ApprovalStatus.APPROVED


@dataclass(frozen=True, slots=True)
class Schedule:
    """A persisted cron schedule and when it fires next."""

    name: str
    cron: str
    timezone: str
    next_fire_at: datetime | None
    last_fired_at: datetime | None
    enabled: bool
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """Who did what to which target, and when."""

    id: int
    at: datetime
    actor: str | None
    action: str
    target: str
    details: Mapping[str, Any] | None


def utc(value: datetime, what: str = "datetime") -> datetime:
    """``value`` converted to UTC; a naive datetime is refused (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} must be timezone-aware (got naive {value.isoformat()}); "
            "use datetime.now(UTC) or attach a tzinfo"
        )
    return value.astimezone(UTC)
