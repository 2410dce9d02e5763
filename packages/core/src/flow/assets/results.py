"""What materialize, materialize_all, backfill and resume return."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import AssetError
from ..store import Status
from .partitions import PartitionKey, describe_key

__all__ = ["MaterializationResult", "RunResult"]


@dataclass(frozen=True, slots=True)
class MaterializationResult:
    """The outcome of one materialization (also persisted in the metadata store).

    An asset that raised gives ``status=failed`` with ``error`` and
    ``traceback``; nothing is raised. Call :meth:`raise_for_status` to turn a
    failure into an exception.
    """

    asset_key: str
    partition: PartitionKey | None
    partition_text: str | None
    status: Status
    run_id: str
    materialization_id: int | None
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None
    error: str | None = None
    traceback: str | None = None
    approval_id: int | None = None

    @property
    def ok(self) -> bool:
        """True when the materialization succeeded."""
        return self.status is Status.SUCCESS

    @property
    def label(self) -> str:
        """``key`` or ``key[partition]`` for messages and tables."""
        if self.partition_text is None:
            return self.asset_key
        return f"{self.asset_key}[{describe_key(self.partition)}]"

    def raise_for_status(self) -> MaterializationResult:
        """``self`` when it succeeded, else an :class:`~flow.errors.AssetError` with the error."""
        if self.status is not Status.SUCCESS:
            raise AssetError(f"{self.label}: {self.status.value}: {self.error or ''}".rstrip(": "))
        return self

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the shape of ``flow assets materialize --json``)."""
        return {
            "asset": self.asset_key,
            "partition": self.partition_text,
            "status": self.status.value,
            "run_id": self.run_id,
            "materialization_id": self.materialization_id,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "duration": self.duration,
            "error": self.error,
            "approval_id": self.approval_id,
        }


@dataclass(frozen=True, slots=True)
class RunResult:
    """The outcome of a run: one :class:`MaterializationResult` per materialization.

    ``already`` lists the partitions a backfill skipped because their latest
    materialization had succeeded (no new record was written for them).
    """

    run_id: str
    status: Status
    results: tuple[MaterializationResult, ...]
    already: tuple[str | None, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing failed, was skipped, or waits for approval."""
        return self.status is Status.SUCCESS

    def by_status(self, status: Status) -> list[MaterializationResult]:
        """The results with ``status``, in run order."""
        return [r for r in self.results if r.status is status]

    @property
    def succeeded(self) -> list[MaterializationResult]:
        """Materializations that succeeded."""
        return self.by_status(Status.SUCCESS)

    @property
    def failed(self) -> list[MaterializationResult]:
        """Materializations that failed."""
        return self.by_status(Status.FAILED)

    @property
    def skipped(self) -> list[MaterializationResult]:
        """Materializations not run because something upstream failed or waits."""
        return self.by_status(Status.SKIPPED)

    @property
    def waiting(self) -> list[MaterializationResult]:
        """Materializations waiting for approval."""
        return self.by_status(Status.WAITING_APPROVAL)

    def get(self, asset_key: str, partition_text: str | None = None) -> MaterializationResult:
        """The result for ``asset_key`` (and the partition's tagged text)."""
        for result in self.results:
            if result.asset_key == asset_key and result.partition_text == partition_text:
                return result
        raise KeyError((asset_key, partition_text))

    def raise_for_status(self) -> RunResult:
        """``self`` when everything succeeded, else an AssetError listing what did not."""
        bad = [r for r in self.results if r.status is not Status.SUCCESS]
        if bad:
            lines = "; ".join(f"{r.label}: {r.status.value} {r.error or ''}".strip() for r in bad)
            raise AssetError(f"run {self.run_id}: {len(bad)} not successful: {lines}")
        return self

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (the shape of ``--json`` outputs)."""
        return {
            "run_id": self.run_id,
            "status": self.status.value,
            "materializations": [r.to_json() for r in self.results],
            "already_succeeded": list(self.already),
        }
