"""The unit of a run: one step = one materialization of one asset for one partition."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from ..store import Status
from .definition import Asset
from .partitions import PartitionKey, describe_key
from .results import MaterializationResult

if TYPE_CHECKING:
    from ..store import Approval

__all__ = ["Input", "Step"]


@dataclass(slots=True, eq=False)
class Input:
    """One upstream value a step reads."""

    dep: str
    #: The parameter that receives it (None: the function does not take it).
    param: str | None
    partition: PartitionKey | None
    partition_text: str | None
    io_manager: str
    #: Index of the step producing it in this run (None: read what is stored).
    step: int | None = None
    #: False for an optional dependency with nothing to read: the parameter gets None.
    available: bool = True


@dataclass(slots=True, eq=False)
class Step:
    """One materialization to run, and (once run) its outcome."""

    asset: Asset
    partition: PartitionKey | None
    partition_text: str | None
    inputs: list[Input] = field(default_factory=list)
    downs: list[int] = field(default_factory=list)
    pending: int = 0
    #: Resume: the persisted materialization to update instead of inserting one.
    existing_id: int | None = None
    approval: Approval | None = None
    status: Status = Status.PENDING
    started_at: datetime | None = None
    finished_at: datetime | None = None
    duration: float | None = None
    error: str | None = None
    traceback: str | None = None
    approval_id: int | None = None
    materialization_id: int | None = None

    @property
    def label(self) -> str:
        """``key`` or ``key[partition]``."""
        if self.partition_text is None:
            return self.asset.key
        return f"{self.asset.key}[{describe_key(self.partition)}]"

    def result(self, run_id: str) -> MaterializationResult:
        """The step's outcome as a public result."""
        return MaterializationResult(
            asset_key=self.asset.key,
            partition=self.partition,
            partition_text=self.partition_text,
            status=self.status,
            run_id=run_id,
            materialization_id=self.materialization_id,
            started_at=self.started_at,
            finished_at=self.finished_at,
            duration=self.duration,
            error=self.error,
            traceback=self.traceback,
            approval_id=self.approval_id,
        )
