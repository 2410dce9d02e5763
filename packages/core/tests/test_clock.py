"""FakeClock wakes sleepers in deadline order only when advanced."""

from __future__ import annotations

import asyncio

import pytest
from flow.clock import SYSTEM_CLOCK, Clock, FakeClock


async def test_sleepers_wake_in_deadline_order_when_advanced() -> None:
    clock = FakeClock()
    woke: list[str] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append(name)

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 2), ("a", 1), ("c", 3))]
    await asyncio.sleep(0)
    assert clock.sleepers == 3
    clock.advance(1.5)
    await asyncio.sleep(0)
    assert woke == ["a"]
    clock.advance(10)
    await asyncio.gather(*tasks)
    assert woke == ["a", "b", "c"]
    assert clock.monotonic() == 11.5
    assert clock.time() > 1_000_000_000


async def test_cancelled_sleepers_are_not_counted_and_zero_sleep_returns() -> None:
    clock = FakeClock()
    task = asyncio.create_task(clock.sleep(5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert clock.sleepers == 0
    await clock.sleep(0)
    clock.advance(5)  # waking a cancelled sleeper must not fail


def test_fake_clock_cannot_go_backwards() -> None:
    with pytest.raises(ValueError, match="backwards"):
        FakeClock().advance(-1)


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(SYSTEM_CLOCK, Clock)
    assert isinstance(FakeClock(), Clock)
