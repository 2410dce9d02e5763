"""What a data-flow run reports: live progress per entity, results, and the dry-run plan."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ..store import Status
from ._pump import Counter

__all__ = ["EntityProgress", "EntityResult", "PlanRow", "RunResult"]


@dataclass
class EntityProgress:
    """Live counters of one entity in a run; displays read them, only the runner writes them."""

    flow: str
    entity: str
    home: str = ""
    store: str = ""
    status: str = "pending"  # pending, running, retrying, success, failed
    attempt: int = 0
    started: float | None = None
    finished: float | None = None
    counter: Counter = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        """Rows written to the store's staging in the current attempt."""
        return self.counter.rows

    def seconds(self, now: float) -> float:
        """Seconds since the entity started (until it finished), by the runner's clock."""
        if self.started is None:
            return 0.0
        return (self.finished if self.finished is not None else now) - self.started

    def rows_per_second(self, now: float) -> float:
        """Average rows per second so far."""
        elapsed = self.seconds(now)
        return self.rows / elapsed if elapsed > 0 else 0.0


@dataclass(frozen=True)
class EntityResult:
    """How one entity's run ended."""

    flow: str
    entity: str
    status: Status
    home: str
    store: str
    rows: int = 0
    bytes: int | None = None
    seconds: float = 0.0
    attempts: int = 0
    watermark_before: str | None = None
    watermark_after: str | None = None
    error: str | None = None
    materialization_id: int | None = None

    @property
    def asset_key(self) -> str:
        """``<flow>/<entity>``, the key of its records in the metadata store."""
        return f"{self.flow}/{self.entity}"

    @property
    def rows_per_second(self) -> float:
        """Rows moved per second of the entity's run."""
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (the ``flow run --json`` object of one entity)."""
        data = asdict(self)
        data["status"] = str(self.status)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        return data


@dataclass(frozen=True)
class RunResult:
    """Every entity of one ``flow run``, with totals."""

    run_id: str
    entities: tuple[EntityResult, ...]
    seconds: float

    @property
    def ok(self) -> bool:
        """Whether every entity succeeded."""
        return all(e.status is Status.SUCCESS for e in self.entities)

    @property
    def rows(self) -> int:
        """Rows moved by all entities together."""
        return sum(e.rows for e in self.entities)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data: ``run_id``, ``entities`` and ``totals``."""
        failed = sum(e.status is not Status.SUCCESS for e in self.entities)
        return {
            "run_id": self.run_id,
            "entities": [e.to_dict() for e in self.entities],
            "totals": {
                "entities": len(self.entities),
                "failed": failed,
                "rows": self.rows,
                "seconds": round(self.seconds, 6),
                "ok": self.ok,
            },
        }


@dataclass(frozen=True)
class PlanRow:
    """One line of a dry run: what would move where, and from which watermark."""

    flow: str
    entity: str
    home: str
    store: str
    mode: str  # "full" (no timestamp), "initial" (no watermark yet), "incremental", "full refresh"
    key: tuple[str, ...] | None
    timestamp: str | None
    watermark: str | None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        data = asdict(self)
        data["key"] = list(self.key) if self.key else None
        return data
