"""``ChannelWatcher``: an in-memory watcher a test pushes changes into."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator

from ..live.change import Change

__all__ = ["ChannelWatcher"]

_CLOSE = object()


class ChannelWatcher:
    """A watcher fed by the test: ``push(b"...")``, ``delete()``, ``fail(exc)``, ``end()``.

    The first item of ``changes()`` is ``initial`` (``Change(None)`` when it is
    None), exactly as a real watcher reports a missing key at start; pass
    ``initial=...`` (Ellipsis) to deliver nothing until the first push.
    """

    def __init__(self, initial: bytes | object | None = None) -> None:
        # A deque plus one waiter rather than asyncio.Queue: the engine benchmark pushes
        # changes through here, and the queue's own bookkeeping was a visible share of it.
        self._items: deque[Change | BaseException | object] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._revision = 0
        self.closed = False
        self.iterations = 0
        if initial is not ...:
            self.push(initial)  # type: ignore[arg-type]

    def push(self, value: bytes | None) -> None:
        """Make the source hold ``value`` (None: deleted)."""
        self._revision += 1
        self._put(Change(value, str(self._revision)))

    def delete(self) -> None:
        """Make the source absent."""
        self.push(None)

    def fail(self, error: BaseException) -> None:
        """Make ``changes()`` raise ``error`` once it reaches this point."""
        self._put(error)

    def end(self) -> None:
        """End ``changes()`` as if the source went away for good."""
        self._put(_CLOSE)

    @property
    def pending(self) -> int:
        """How many pushed items ``changes()`` has not delivered yet (0: it has caught up)."""
        return len(self._items)

    def _put(self, item: Change | BaseException | object) -> None:
        self._items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def changes(self) -> AsyncIterator[Change]:
        self.iterations += 1
        items = self._items
        while not self.closed:
            if not items:
                self._waiter = asyncio.get_running_loop().create_future()
                try:
                    await self._waiter
                finally:
                    self._waiter = None
                continue
            item = items.popleft()
            if item is _CLOSE:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, Change)
            yield item

    async def aclose(self) -> None:
        self.closed = True
        self._put(_CLOSE)
