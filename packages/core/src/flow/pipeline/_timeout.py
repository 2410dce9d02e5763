"""``timeout``: cancel the call after a number of seconds and raise ``TimeoutError``.

Built on :func:`asyncio.timeout` (no library needed). With the system clock
the deadline is the event loop's own; with another clock (``FakeClock`` in
tests) a small watchdog task sleeps on that clock and then moves the asyncio
deadline to "now", so cancellation and the ``TimeoutError`` conversion are
still asyncio's.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..clock import SYSTEM_CLOCK, Clock

__all__ = ["Timeout", "timeout"]

T = TypeVar("T")


class Timeout:
    """The stage built by :func:`timeout`."""

    __slots__ = ("clock", "seconds")

    def __init__(self, seconds: float, clock: Clock) -> None:
        self.seconds = seconds
        self.clock = clock

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        if self.clock is SYSTEM_CLOCK:
            async with asyncio.timeout(self.seconds):
                return await call()
        return await self._on_clock(call)

    async def _on_clock(self, call: Callable[[], Awaitable[T]]) -> T:
        async with asyncio.timeout(None) as deadline:
            watchdog = asyncio.create_task(self._expire(deadline))
            try:
                return await call()
            finally:
                if not watchdog.done():
                    watchdog.cancel()
                    # Wait for it so no task outlives the call; wait() never raises its error.
                    await asyncio.wait((watchdog,))

    async def _expire(self, deadline: asyncio.Timeout) -> None:
        await self.clock.sleep(self.seconds)
        deadline.reschedule(asyncio.get_running_loop().time())

    def __repr__(self) -> str:
        return f"timeout({self.seconds})"


def timeout(seconds: float, *, clock: Clock = SYSTEM_CLOCK) -> Timeout:
    """Cancel the call if it runs longer than ``seconds`` and raise the builtin ``TimeoutError``.

    The call is cancelled (it sees ``asyncio.CancelledError`` at its current
    ``await``) before ``TimeoutError`` is raised. A sync callable cannot be
    interrupted: it runs to the end, and only an await inside an async call
    can be cut short. ``clock`` defaults to real time; pass a ``FakeClock`` to
    drive it from tests.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not seconds > 0:
        raise ValueError(f"timeout(): seconds must be a number > 0, got {seconds!r}")
    return Timeout(float(seconds), clock)
