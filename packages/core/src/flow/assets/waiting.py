"""``WaitForApproval``: what an asset raises or returns to ask a person before finishing."""

from __future__ import annotations

from datetime import timedelta

from ..errors import FlowError

__all__ = ["WaitForApproval"]


class WaitForApproval(FlowError):
    """Ask for approval: raise (or return) this from an asset function.

    The materialization is persisted as ``waiting_approval`` with an approval
    request (``flow approvals list``); assets downstream of it in the run are
    skipped. Approving re-runs the asset with ``context.approval`` set to the
    decision; rejecting fails it; after ``timeout`` (seconds or a timedelta)
    the request expires.
    """

    def __init__(self, reason: str, timeout: float | timedelta | None = None) -> None:
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError("WaitForApproval needs a reason saying what to approve")
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            timeout = timedelta(seconds=timeout)
        if timeout is not None and (not isinstance(timeout, timedelta) or timeout <= timedelta(0)):
            raise ValueError(f"WaitForApproval timeout must be positive, got {timeout!r}")
        super().__init__(reason)
        self.reason = reason
        self.timeout: timedelta | None = timeout

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.reason, self.timeout))
