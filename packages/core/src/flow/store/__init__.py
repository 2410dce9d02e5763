"""The metadata store: runs, materializations, lineage, approvals, schedules, audit, watermarks.

SQLAlchemy Core over SQLite (``<project>/.flow/flow.db`` by default, WAL) or
PostgreSQL (``FLOW_DATABASE_URL=postgresql://…``); see ``docs/metadata-store.md``.
Importing this package does not import SQLAlchemy; :meth:`MetadataStore.open` does.
"""

from __future__ import annotations

from ._records import (
    Approval,
    ApprovalStatus,
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
from ._store import MetadataStore
from ._url import DATABASE_URL_ENV

__all__ = [
    "DATABASE_URL_ENV",
    "Approval",
    "ApprovalStatus",
    "AuditEvent",
    "ImpactRow",
    "LineageNode",
    "Materialization",
    "MaterializationRecord",
    "MetadataStore",
    "Node",
    "Run",
    "Schedule",
    "Status",
]
