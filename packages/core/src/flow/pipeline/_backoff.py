"""``backoff``: exponential, capped delays with jitter, for retries and reconnect loops.

Hand-written: tenacity's wait strategies and the ``backoff`` package are tied
to their own retry loops and draw jitter from the global ``random`` module;
watchers need a small policy object they can drive themselves, with a
seedable random source and an injectable :class:`~flow.clock.Clock`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..clock import SYSTEM_CLOCK, Clock

__all__ = ["Backoff", "BackoffCounter", "backoff"]

#: ``jitter=True`` means "equal jitter": each delay is drawn from [d/2, d].
DEFAULT_JITTER = 0.5


@dataclass(frozen=True, slots=True)
class Backoff:
    """An exponential backoff policy; build one with :func:`backoff`.

    The policy itself holds no attempt count: ``delay(attempt)`` is a function
    of the attempt number (plus jitter), so one policy can be shared by many
    loops. Use :meth:`counter` for a loop that counts for you.
    """

    base: float
    factor: float
    max_delay: float
    jitter: float
    rng: random.Random = field(repr=False, compare=False)

    def delay(self, attempt: int) -> float:
        """The wait before retry number ``attempt`` (counted from 0).

        ``min(max_delay, base * factor**attempt)``, then reduced by a random
        fraction of at most ``jitter`` of itself: with ``jitter=0.5`` the
        result lies in ``[d/2, d]``; it never exceeds ``max_delay``.
        """
        if attempt < 0:
            raise ValueError(f"backoff attempt must be >= 0, got {attempt}")
        try:
            raw = self.base * self.factor**attempt
        except OverflowError:  # a long outage: factor**attempt outgrew a float
            raw = self.max_delay
        capped = min(raw, self.max_delay)
        if self.jitter:
            capped *= 1.0 - self.jitter * self.rng.random()
        return capped

    def delays(self, start: int = 0) -> Iterator[float]:
        """An endless iterator of delays for attempts ``start``, ``start + 1``, …."""
        attempt = start
        while True:
            yield self.delay(attempt)
            attempt += 1

    async def sleep(self, attempt: int, clock: Clock = SYSTEM_CLOCK) -> float:
        """Sleep ``delay(attempt)`` on ``clock``; returns the seconds slept."""
        seconds = self.delay(attempt)
        await clock.sleep(seconds)
        return seconds

    def counter(self, clock: Clock = SYSTEM_CLOCK) -> BackoffCounter:
        """A counter for one loop: ``await c.wait()`` after failures, ``c.reset()`` on success."""
        return BackoffCounter(self, clock)


class BackoffCounter:
    """Counts attempts for one retry or reconnect loop.

    ::

        retries = backoff(0.05, max_delay=2.0).counter(clock)
        while True:
            try:
                conn = await connect()
            except ConnectionError:
                await retries.wait()      # 0.05, 0.1, 0.2, … up to 2.0 (jittered)
                continue
            retries.reset()               # the next outage starts from base again
            ...
    """

    __slots__ = ("attempt", "clock", "policy")

    def __init__(self, policy: Backoff, clock: Clock = SYSTEM_CLOCK) -> None:
        self.policy = policy
        self.clock = clock
        #: How many waits since the last reset (the next wait uses ``delay(attempt)``).
        self.attempt = 0

    def next_delay(self) -> float:
        """Draw the next delay and count the attempt, without sleeping."""
        seconds = self.policy.delay(self.attempt)
        self.attempt += 1
        return seconds

    async def wait(self) -> float:
        """Sleep the next delay on the clock and count the attempt; returns the seconds slept."""
        seconds = self.next_delay()
        await self.clock.sleep(seconds)
        return seconds

    def reset(self) -> None:
        """Start again from ``base`` (call after a success)."""
        self.attempt = 0


def backoff(
    base: float = 0.1,
    factor: float = 2.0,
    max_delay: float = 30.0,
    jitter: bool | float = True,
    *,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Backoff:
    """An exponential backoff policy: ``base * factor**attempt``, capped at ``max_delay``.

    ``jitter``: ``False``/``0`` for exact delays; ``True`` for equal jitter (each
    delay drawn from ``[d/2, d]``); a float ``j`` in ``(0, 1]`` draws from
    ``[d*(1-j), d]`` (``1.0`` is "full jitter"). Jitter spreads out clients that
    failed together. ``seed`` (or your own ``rng``) makes the draws repeatable.
    """
    where = "backoff()"
    if base < 0:
        raise ValueError(f"{where}: base must be >= 0 seconds, got {base}")
    if factor < 1:
        raise ValueError(f"{where}: factor must be >= 1 (delays never shrink), got {factor}")
    if max_delay < base:
        raise ValueError(f"{where}: max_delay ({max_delay}) must be >= base ({base})")
    fraction = (DEFAULT_JITTER if jitter else 0.0) if isinstance(jitter, bool) else float(jitter)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{where}: jitter must be a bool or a fraction in [0, 1], got {jitter}")
    if rng is not None and seed is not None:
        raise ValueError(f"{where}: give seed= or rng=, not both")
    return Backoff(base, factor, max_delay, fraction, rng or random.Random(seed))
