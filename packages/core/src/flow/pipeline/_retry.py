"""``retry``: run the call again on listed exceptions, waiting per a backoff policy.

Hand-written rather than tenacity: the loop is a dozen lines, the hot path
stays free of tenacity's per-call state objects, and the waits go through
Flow's :class:`~flow.clock.Clock` and :class:`~flow.pipeline.Backoff` so
tests are deterministic with ``FakeClock``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ._backoff import Backoff
from ._stage import ExceptionTypes, exception_types

__all__ = ["Retry", "retry"]

T = TypeVar("T")


class Retry:
    """The stage built by :func:`retry`."""

    __slots__ = ("attempts", "backoff", "clock", "on")

    def __init__(
        self,
        attempts: int,
        on: tuple[type[BaseException], ...],
        backoff: Backoff | None,
        clock: Clock,
    ) -> None:
        self.attempts = attempts
        self.on = on
        self.backoff = backoff
        self.clock = clock

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        attempt = 1
        while True:
            try:
                return await call()
            except asyncio.CancelledError:
                raise  # cancellation is an order, not a failure: never retried
            except self.on as error:
                if attempt >= self.attempts:
                    error.add_note(f"flow.pipeline.retry: gave up after {attempt} attempts")
                    raise
            if self.backoff is not None:
                await self.backoff.sleep(attempt - 1, self.clock)
            attempt += 1

    def __repr__(self) -> str:
        names = ", ".join(t.__name__ for t in self.on)
        return f"retry({self.attempts}, on=({names},), backoff={self.backoff!r})"


def retry(
    attempts: int,
    *,
    on: ExceptionTypes = (Exception,),
    backoff: Backoff | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Retry:
    """Try the call up to ``attempts`` times in all, again after each listed exception.

    Between tries it sleeps ``backoff.delay(n)`` on ``clock`` (n = 0 before the
    second try); with no ``backoff`` it tries again at once. An exception not in
    ``on`` propagates at once; ``asyncio.CancelledError`` is never retried.
    After the last try the last exception is raised, with a note giving the
    number of attempts.
    """
    if isinstance(attempts, bool) or not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"retry(): attempts is the total number of tries (>= 1), got {attempts!r}")
    if backoff is not None and not isinstance(backoff, Backoff):
        raise TypeError(f"retry(): backoff= takes a policy from backoff(...), got {backoff!r}")
    return Retry(attempts, exception_types(on, "retry()"), backoff, clock)
