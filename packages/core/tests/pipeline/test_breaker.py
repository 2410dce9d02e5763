"""circuit_breaker(): the full state cycle, refusals while open, events, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from flow import events
from flow.clock import FakeClock
from flow.errors import CircuitOpenError, PipelineError
from flow.pipeline import CircuitBreaker, Pipeline, circuit_breaker

if TYPE_CHECKING:
    from .conftest import Until


class Switch:
    """An async call that fails while ``broken`` is set, and counts its calls."""

    def __init__(self) -> None:
        self.broken = True
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.broken:
            raise ConnectionError("down")
        return "up"


@pytest.fixture
def seen() -> Iterator[list[tuple[str, str, str]]]:
    """Circuit events as (name, source, previous state)."""
    got: list[tuple[str, str, str]] = []
    unsubscribe = events.subscribe(
        "pipeline.circuit_*", lambda e: got.append((e.name, e.source, e.data["previous"]))
    )
    yield got
    unsubscribe()


def state_of(breaker: CircuitBreaker) -> str:
    # A plain str, so mypy does not narrow the property across state changes.
    return breaker.state


async def fail_times(breaker: CircuitBreaker, fn: Switch, times: int) -> None:
    for _ in range(times):
        with pytest.raises(ConnectionError):
            await breaker(fn)


async def test_full_cycle_closed_open_half_open_closed(
    clock: FakeClock, seen: list[tuple[str, str, str]]
) -> None:
    breaker = circuit_breaker(3, 30.0, clock=clock, name="db")
    fn = Switch()
    await fail_times(breaker, fn, 2)
    assert state_of(breaker) == "closed"
    assert breaker.failures == 2
    await fail_times(breaker, fn, 1)
    assert state_of(breaker) == "open"

    # Refused while open: the function is not called.
    with pytest.raises(CircuitOpenError, match=r"'db' is open after 3 consecutive failures"):
        await breaker(fn)
    assert fn.calls == 3

    clock.advance(29.9)
    assert state_of(breaker) == "open"
    clock.advance(0.1)
    assert state_of(breaker) == "half_open"

    fn.broken = False
    assert await breaker(fn) == "up"
    assert state_of(breaker) == "closed"
    assert breaker.failures == 0
    assert seen == [
        ("pipeline.circuit_open", "db", "closed"),
        ("pipeline.circuit_half_open", "db", "open"),
        ("pipeline.circuit_closed", "db", "half_open"),
    ]


async def test_failed_trial_reopens_for_another_period(
    clock: FakeClock, seen: list[tuple[str, str, str]]
) -> None:
    breaker = circuit_breaker(2, 10.0, clock=clock)
    fn = Switch()
    await fail_times(breaker, fn, 2)
    clock.advance(10.0)
    await fail_times(breaker, fn, 1)  # the half-open trial
    assert state_of(breaker) == "open"
    assert fn.calls == 3
    clock.advance(9.0)
    with pytest.raises(CircuitOpenError):
        await breaker(fn)
    assert fn.calls == 3
    clock.advance(1.0)
    assert state_of(breaker) == "half_open"
    assert [name for name, _, _ in seen] == [
        "pipeline.circuit_open",
        "pipeline.circuit_half_open",
        "pipeline.circuit_open",
        "pipeline.circuit_half_open",
    ]


async def test_success_resets_the_consecutive_count(clock: FakeClock) -> None:
    breaker = circuit_breaker(3, 5.0, clock=clock)
    fn = Switch()
    await fail_times(breaker, fn, 2)
    fn.broken = False
    await breaker(fn)
    fn.broken = True
    await fail_times(breaker, fn, 2)
    assert state_of(breaker) == "closed"


async def test_half_open_allows_one_trial_at_a_time(clock: FakeClock, until: Until) -> None:
    breaker = circuit_breaker(1, 1.0, clock=clock)
    fn = Switch()
    await fail_times(breaker, fn, 1)
    clock.advance(1.0)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_probe() -> str:
        started.set()
        await release.wait()
        return "up"

    trial = asyncio.create_task(breaker(slow_probe))
    await until(started.is_set, "the trial call to start")
    with pytest.raises(CircuitOpenError, match="trial call is in flight"):
        await breaker(fn)
    release.set()
    assert await trial == "up"
    assert state_of(breaker) == "closed"


async def test_cancelled_trial_leaves_it_half_open(clock: FakeClock, until: Until) -> None:
    breaker = circuit_breaker(1, 1.0, clock=clock)
    await fail_times(breaker, Switch(), 1)
    clock.advance(1.0)
    started = asyncio.Event()

    async def hangs() -> None:
        started.set()
        await asyncio.Event().wait()

    trial = asyncio.create_task(breaker(hangs))
    await until(started.is_set, "the trial call to start")
    trial.cancel()
    with pytest.raises(asyncio.CancelledError):
        await trial
    assert state_of(breaker) == "half_open"
    fn = Switch()
    fn.broken = False
    assert await breaker(fn) == "up"
    assert state_of(breaker) == "closed"


async def test_unlisted_exceptions_do_not_count(clock: FakeClock) -> None:
    breaker = circuit_breaker(2, 1.0, on=ConnectionError, clock=clock)

    async def rejects() -> None:
        raise ValueError("bad request")

    for _ in range(5):
        with pytest.raises(ValueError, match="bad request"):
            await breaker(rejects)
    assert state_of(breaker) == "closed"
    assert breaker.failures == 0


async def test_manual_reset_closes(clock: FakeClock) -> None:
    breaker = circuit_breaker(1, 60.0, clock=clock)
    await fail_times(breaker, Switch(), 1)
    assert state_of(breaker) == "open"
    breaker.reset()
    assert state_of(breaker) == "closed"


async def test_circuit_open_is_a_pipeline_error(clock: FakeClock) -> None:
    breaker = circuit_breaker(1, 60.0, clock=clock)
    await fail_times(breaker, Switch(), 1)
    with pytest.raises(PipelineError, match="half-opens in 60 s"):
        await Pipeline(breaker)(Switch())


@pytest.mark.parametrize(
    ("failures", "reset_after", "message"),
    [(0, 1.0, "failures must be an int >= 1"), (3, -1.0, "reset_after must be >= 0")],
)
def test_bad_arguments_are_refused(failures: int, reset_after: float, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        circuit_breaker(failures, reset_after)


async def test_late_failure_after_opening_emits_nothing_more(
    clock: FakeClock, until: Until, seen: list[tuple[str, str, str]]
) -> None:
    breaker = circuit_breaker(1, 30.0, clock=clock)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow_failure() -> None:
        started.set()
        await release.wait()
        raise ConnectionError("late")

    straggler = asyncio.create_task(breaker(slow_failure))
    await until(started.is_set, "the slow call to start")
    await fail_times(breaker, Switch(), 1)  # opens the circuit
    release.set()
    with pytest.raises(ConnectionError, match="late"):
        await straggler
    assert state_of(breaker) == "open"
    assert [name for name, _, _ in seen] == ["pipeline.circuit_open"]
    clock.advance(29.0)  # the straggler did not restart the open period
    clock.advance(1.0)
    assert state_of(breaker) == "half_open"
