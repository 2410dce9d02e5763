"""``Health``: the capacitor state machine, and the records a capacitor keeps."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

__all__ = ["Counters", "ErrorRecord", "Health", "Stage"]


class Health(StrEnum):
    """Where a capacitor stands.

    ``LOADING`` until the first outcome; ``HEALTHY`` after a successful apply;
    ``DEGRADED`` when a later change failed (the last good value is kept);
    ``EMPTY`` when no valid value was ever committed (including a source
    missing at start).
    """

    LOADING = "loading"
    HEALTHY = "healthy"
    DEGRADED = "degraded"
    EMPTY = "empty"


Stage = Literal["watch", "decode", "validate", "apply"]


@dataclass(frozen=True, slots=True)
class ErrorRecord:
    """One failure: the stage it happened in, what was wrong, when, and which source."""

    stage: Stage
    message: str
    time: float
    source: str
    revision: str | None = None
    error_type: str = ""

    def __str__(self) -> str:
        return f"{self.stage}: {self.message} ({self.source})"


@dataclass(slots=True)
class Counters:
    """Running totals of what a capacitor saw and did."""

    received: int = 0
    skipped_identical: int = 0
    coalesced: int = 0
    processed: int = 0
    applied: int = 0
    decode_failed: int = 0
    validation_failed: int = 0
    apply_failed: int = 0
    watch_failed: int = 0
