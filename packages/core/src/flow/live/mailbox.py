"""``LatestMailbox``: hand the latest observation from a client's callback to ``changes()``.

A watcher's client usually reports changes through a callback (on the event
loop, or on one of its own threads) while ``changes()`` waits for them. The
mailbox sits in between: one slot, latest wins, so a burst is coalesced and an
older value never follows a newer one, and the callback never waits for the
consumer. ``put_threadsafe`` / ``fail_threadsafe`` do the hand-over from a
client thread with ``loop.call_soon_threadsafe`` (DESIGN §4, contract point 5)::

    box: LatestMailbox[Change] = LatestMailbox(asyncio.get_running_loop())
    client.on_change(lambda value: box.put_threadsafe(Change(value)))  # any thread
    while (change := await box.get()) is not None:                     # the loop
        yield change

Hand-written rather than an ``asyncio.Queue``: a bounded queue would make the
callback wait behind a slow consumer, and an unbounded one would replay every
stale value of a burst; only the newest one matters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LatestMailbox", "hand_over"]

T = TypeVar("T")


def hand_over(
    loop: asyncio.AbstractEventLoop, callback: Callable[..., object], *args: object
) -> bool:
    """Schedule ``callback(*args)`` on ``loop`` from any thread; False when the loop is closed.

    A client thread may still report after the loop it reports to has closed
    (nobody is listening any more); that is not an error worth raising there.
    """
    try:
        loop.call_soon_threadsafe(callback, *args)
    except RuntimeError:
        return False
    return True


class LatestMailbox(Generic[T]):
    """One slot, latest wins, with an end marker and an optional error.

    ``get()`` returns the waiting item first; then ``None`` once :meth:`end`
    was called; then raises the error given to :meth:`fail` (the first one
    only). Every method except the ``*_threadsafe`` ones must run on the loop.
    """

    __slots__ = ("_ended", "_error", "_full", "_item", "_loop", "_waiter")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """``loop``: where ``*_threadsafe`` calls deliver (needed only for those)."""
        self._loop = loop
        self._item: T | None = None
        self._full = False
        self._ended = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None

    @property
    def ended(self) -> bool:
        """True once :meth:`end` was called."""
        return self._ended

    def put(self, item: T) -> None:
        """Replace whatever is waiting with ``item`` and wake the reader."""
        self._item = item
        self._full = True
        self._wake()

    def end(self) -> None:
        """No more items will come; the reader gets what is left, then ``None``."""
        self._ended = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        """End with ``error``: raised by :meth:`get` once the waiting item was taken.

        Only the first error is kept (it is the cause; later ones are its echoes).
        """
        if self._error is None:
            self._error = error
        self._wake()

    def put_threadsafe(self, item: T) -> bool:
        """:meth:`put` from any thread; False when the loop is already closed."""
        return hand_over(self._bound_loop(), self.put, item)

    def fail_threadsafe(self, error: BaseException) -> bool:
        """:meth:`fail` from any thread; False when the loop is already closed."""
        return hand_over(self._bound_loop(), self.fail, error)

    async def get(self) -> T | None:
        """The latest item (waiting for one); ``None`` once ended; raises a failure."""
        while not self._full:
            if self._ended:
                return None
            if self._error is not None:
                raise self._error
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

    def _bound_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise RuntimeError(
                "LatestMailbox: give the event loop to the constructor to use *_threadsafe"
            )
        return self._loop
