"""rate_limit(): token bucket refill, bursts, FIFO waiting, max_wait, cancellation."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
from flow.clock import FakeClock
from flow.errors import PipelineError, RateLimitExceeded
from flow.pipeline import Pipeline, rate_limit

if TYPE_CHECKING:
    from .conftest import Until


async def ok(tag: str = "") -> str:
    return tag


async def test_burst_passes_then_bucket_refills(clock: FakeClock) -> None:
    limiter = rate_limit(2, per=1.0, max_wait=0, clock=clock)
    pipe = Pipeline(limiter)
    assert [await pipe(ok, "a"), await pipe(ok, "b")] == ["a", "b"]
    with pytest.raises(RateLimitExceeded, match=r"next slot is 0\.5 s away"):
        await pipe(ok)
    clock.advance(0.5)
    assert await pipe(ok, "c") == "c"
    with pytest.raises(RateLimitExceeded):
        await pipe(ok)
    clock.advance(10.0)  # refill is capped at burst
    assert limiter.tokens == 2.0


async def test_waiters_are_served_in_order_at_the_refill_rate(
    clock: FakeClock, until: Until
) -> None:
    pipe = Pipeline(rate_limit(1, per=2.0, clock=clock))
    done: list[str] = []

    async def record(tag: str) -> None:
        done.append(tag)

    await pipe(record, "first")  # the one token of the full bucket
    tasks = [asyncio.create_task(pipe(record, tag)) for tag in ("second", "third")]
    await until(lambda: clock.sleepers == 2, "both callers to wait")
    assert done == ["first"]
    clock.advance(2.0)
    await until(lambda: done == ["first", "second"], "the second call")
    assert clock.sleepers == 1
    clock.advance(2.0)
    await asyncio.gather(*tasks)
    assert done == ["first", "second", "third"]


async def test_max_wait_allows_short_waits(clock: FakeClock, until: Until) -> None:
    limiter = rate_limit(10, per=1.0, burst=1, max_wait=0.15, clock=clock)
    await limiter(ok)
    task = asyncio.create_task(limiter(ok))
    await until(lambda: clock.sleepers == 1, "the caller to wait 0.1 s")
    # A third caller would wait 0.2 s (behind the second): refused at once.
    with pytest.raises(PipelineError, match=r"longer than max_wait=0\.15 s"):
        await limiter(ok)
    clock.advance(0.1)
    assert await task == ""


async def test_cancelled_waiter_gives_its_token_back(clock: FakeClock, until: Until) -> None:
    limiter = rate_limit(1, per=1.0, clock=clock)
    await limiter(ok)
    waiter = asyncio.create_task(limiter(ok))
    await until(lambda: clock.sleepers == 1, "the caller to wait")
    assert limiter.tokens == -1.0
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert limiter.tokens == 0.0
    clock.advance(1.0)
    assert limiter.tokens == 1.0


async def test_fractional_rates(clock: FakeClock) -> None:
    limiter = rate_limit(0.5, per=1.0, max_wait=0, clock=clock)  # one call per 2 s
    await limiter(ok)
    clock.advance(1.9)
    with pytest.raises(RateLimitExceeded):
        await limiter(ok)
    clock.advance(0.1)
    await limiter(ok)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rate": 0}, "rate must be > 0"),
        ({"rate": 1, "per": 0}, "per must be > 0"),
        ({"rate": 1, "burst": 0.5}, "burst must be >= 1"),
        ({"rate": 1, "max_wait": -1}, "max_wait must be >= 0"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rate_limit(**kwargs)
