"""``Mailbox``: hands the latest observation from the client's callback to ``changes()``."""

from __future__ import annotations

import asyncio

from flow.live.change import Change

__all__ = ["Mailbox"]


class Mailbox:
    """One slot, latest wins: a burst is coalesced, and an older value never follows a newer.

    Hand-written rather than an ``asyncio.Queue``: a bounded queue would make
    the client's callback wait behind a slow consumer, and an unbounded one
    would replay every stale value of a burst; only the newest one matters.
    """

    __slots__ = ("_ended", "_full", "_item", "_waiter")

    def __init__(self) -> None:
        self._item: Change | None = None
        self._full = False
        self._ended = False
        self._waiter: asyncio.Future[None] | None = None

    @property
    def ended(self) -> bool:
        """True once :meth:`end` was called."""
        return self._ended

    def put(self, change: Change) -> None:
        """Replace whatever is waiting with ``change`` and wake the reader."""
        self._item = change
        self._full = True
        self._wake()

    def end(self) -> None:
        """No more items will come; the reader gets what is left, then ``None``."""
        self._ended = True
        self._wake()

    async def get(self) -> Change | None:
        """The latest item (waiting for one), or ``None`` once ended and empty."""
        while not self._full:
            if self._ended:
                return None
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        item, self._item, self._full = self._item, None, False
        return item

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
