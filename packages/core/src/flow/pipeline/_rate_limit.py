"""``rate_limit``: a token bucket in front of the call.

Hand-written: aiolimiter is the obvious library, but it reads time from the
event loop (``loop.time()``) and sleeps with ``asyncio`` directly, so it cannot
run on a ``FakeClock``; it also has no "give up if the wait is too long" option.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import RateLimitExceeded

__all__ = ["RateLimit", "rate_limit"]

T = TypeVar("T")


class RateLimit:
    """The stage built by :func:`rate_limit`; one instance is one bucket.

    Callers reserve a token on arrival, even when the bucket is empty (the
    count goes below zero), and sleep until their token is due: waiters are
    served in arrival order without a lock or a polling loop. A caller that is
    cancelled while waiting gives its token back.
    """

    __slots__ = ("_stamp", "_tokens", "burst", "clock", "max_wait", "per", "rate")

    def __init__(
        self, rate: float, per: float, burst: float, max_wait: float | None, clock: Clock
    ) -> None:
        self.rate = rate
        self.per = per
        self.burst = burst
        self.max_wait = max_wait
        self.clock = clock
        self._tokens = burst
        self._stamp = clock.monotonic()

    @property
    def tokens(self) -> float:
        """Tokens available now (negative while callers are queued)."""
        self._refill()
        return self._tokens

    def _refill(self) -> None:
        now = self.clock.monotonic()
        elapsed = now - self._stamp
        self._stamp = now
        if elapsed > 0:
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate / self.per)

    async def acquire(self) -> float:
        """Take one token, waiting for it if need be; returns the seconds waited."""
        self._refill()
        self._tokens -= 1.0
        if self._tokens >= 0:
            return 0.0
        wait = -self._tokens * self.per / self.rate
        if self.max_wait is not None and wait > self.max_wait:
            self._tokens += 1.0
            raise RateLimitExceeded(
                f"rate limit of {self.rate:g} per {self.per:g} s reached: the next slot is "
                f"{wait:.3g} s away, longer than max_wait={self.max_wait:g} s; slow the "
                "callers down, or raise rate, burst or max_wait"
            )
        try:
            await self.clock.sleep(wait)
        except asyncio.CancelledError:
            self._tokens += 1.0
            raise
        return wait

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        await self.acquire()
        return await call()

    def __repr__(self) -> str:
        return f"rate_limit({self.rate:g}, per={self.per:g}, burst={self.burst:g})"


def rate_limit(
    rate: float,
    per: float = 1.0,
    *,
    burst: float | None = None,
    max_wait: float | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> RateLimit:
    """Allow ``rate`` calls per ``per`` seconds on average, with bursts of up to ``burst``.

    A token bucket holding ``burst`` tokens (default ``max(1, rate)``), full at
    the start and refilled at ``rate / per`` tokens a second. Each call takes a
    token, waiting on ``clock`` for one if the bucket is empty. If that wait
    would exceed ``max_wait`` seconds, :class:`~flow.errors.RateLimitExceeded`
    is raised at once instead (``max_wait=0``: never wait).
    """
    where = "rate_limit()"
    if not rate > 0:
        raise ValueError(f"{where}: rate must be > 0 calls, got {rate}")
    if not per > 0:
        raise ValueError(f"{where}: per must be > 0 seconds, got {per}")
    size = max(1.0, float(rate)) if burst is None else float(burst)
    if size < 1:
        raise ValueError(f"{where}: burst must be >= 1 (a call takes one token), got {burst}")
    if max_wait is not None and max_wait < 0:
        raise ValueError(f"{where}: max_wait must be >= 0 seconds or None, got {max_wait}")
    return RateLimit(float(rate), float(per), size, max_wait, clock)
