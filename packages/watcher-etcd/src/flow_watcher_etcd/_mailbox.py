"""``Mailbox``: hands Changes from the connection task to the consumer, in order."""

from __future__ import annotations

import asyncio
from collections import deque

from flow.live.change import Change

__all__ = ["MAX_PENDING", "MAX_PENDING_BYTES", "Mailbox"]

#: Changes kept for a consumer that fell behind; beyond this the oldest are dropped.
MAX_PENDING = 64
#: The same bound in bytes of values (the newest Change is always kept).
MAX_PENDING_BYTES = 16 << 20


class Mailbox:
    """A FIFO of Changes that never blocks the producer and never reorders.

    A consumer that keeps up gets every Change. One that falls behind by more
    than :data:`MAX_PENDING` Changes (or :data:`MAX_PENDING_BYTES`) loses the
    oldest pending ones: memory stays bounded and the newest value is never lost.
    """

    __slots__ = ("_bytes", "_closed", "_error", "_pending", "_ready")

    def __init__(self) -> None:
        self._pending: deque[Change] = deque()
        self._bytes = 0
        self._error: BaseException | None = None
        self._closed = False
        self._ready = asyncio.Event()

    def put(self, change: Change) -> None:
        """Queue ``change``, dropping the oldest pending ones beyond the bounds."""
        pending = self._pending
        pending.append(change)
        self._bytes += _size(change)
        while len(pending) > 1 and (len(pending) > MAX_PENDING or self._bytes > MAX_PENDING_BYTES):
            self._bytes -= _size(pending.popleft())
        self._ready.set()

    def fail(self, error: BaseException) -> None:
        """End with ``error``, raised to the consumer after the pending Changes."""
        self._error = error
        self._ready.set()

    def close(self) -> None:
        """End now: pending Changes are dropped and the consumer's iteration stops."""
        self._closed = True
        self._pending.clear()
        self._bytes = 0
        self._ready.set()

    async def take(self) -> Change | None:
        """The next Change; None once closed; raises the error given to :meth:`fail`."""
        while True:
            if self._closed:
                return None
            if self._pending:
                change = self._pending.popleft()
                self._bytes -= _size(change)
                return change
            if self._error is not None:
                raise self._error
            self._ready.clear()
            await self._ready.wait()


def _size(change: Change) -> int:
    return 0 if change.value is None else len(change.value)
