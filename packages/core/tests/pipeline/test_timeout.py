"""timeout(): raises the builtin TimeoutError and cancels the call, on real or fake time."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from flow.clock import FakeClock
from flow.pipeline import Pipeline, timeout

if TYPE_CHECKING:
    from collections.abc import Callable

    from .conftest import Until


class Hanging:
    """An async call that waits on an event nobody sets, and records its cancellation."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.cancelled = False

    async def __call__(self) -> str:
        self.started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return "never"


async def test_real_time_timeout_fires_and_cancels_the_call() -> None:
    call = Hanging()
    with pytest.raises(TimeoutError):
        await Pipeline(timeout(0.02))(call)
    assert call.cancelled


async def test_fast_call_passes_through() -> None:
    async def quick(x: int) -> int:
        return x + 1

    assert await Pipeline(timeout(5.0))(quick, 1) == 2


async def test_fake_clock_timeout_fires_exactly_at_the_deadline(
    clock: FakeClock, until: Until, leftover_tasks: Callable[[], set[asyncio.Task[object]]]
) -> None:
    call = Hanging()
    task = asyncio.create_task(Pipeline(timeout(3.0, clock=clock))(call))
    await until(lambda: call.started.is_set() and clock.sleepers == 1, "the call to start")
    clock.advance(2.999)
    assert clock.sleepers == 1
    assert not call.cancelled
    clock.advance(0.001)
    with pytest.raises(TimeoutError):
        await task
    assert call.cancelled
    assert leftover_tasks() == set()


async def test_fake_clock_watchdog_is_gone_after_success(
    clock: FakeClock, leftover_tasks: Callable[[], set[asyncio.Task[object]]]
) -> None:
    async def quick() -> str:
        return "done"

    assert await Pipeline(timeout(1.0, clock=clock))(quick) == "done"
    assert clock.sleepers == 0
    assert leftover_tasks() == set()


async def test_outer_cancellation_is_not_turned_into_timeout(
    clock: FakeClock, until: Until, leftover_tasks: Callable[[], set[asyncio.Task[object]]]
) -> None:
    call = Hanging()
    task = asyncio.create_task(Pipeline(timeout(10.0, clock=clock))(call))
    await until(call.started.is_set, "the call to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert call.cancelled
    assert clock.sleepers == 0
    assert leftover_tasks() == set()


async def test_errors_from_the_call_pass_through(clock: FakeClock) -> None:
    async def broken() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        await Pipeline(timeout(1.0, clock=clock))(broken)


@pytest.mark.parametrize("seconds", [0, -1, True, "1"])
def test_bad_seconds_are_refused(seconds: object) -> None:
    with pytest.raises(ValueError, match="seconds must be a number > 0"):
        timeout(seconds)  # type: ignore[arg-type]
