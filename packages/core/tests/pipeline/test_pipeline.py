"""Pipeline: calling, wrapping, composition order, nesting, sync callables, cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import pytest
from flow.clock import FakeClock
from flow.errors import CircuitOpenError
from flow.pipeline import (
    Pipeline,
    Stage,
    backoff,
    circuit_breaker,
    fallback,
    rate_limit,
    retry,
    timeout,
)
from flow.pipeline import filter as only_if

if TYPE_CHECKING:
    from .conftest import Until

T = TypeVar("T")
Leftovers = Callable[[], set[asyncio.Task[object]]]


class Trace:
    """A stage that logs when the call enters and leaves it."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name = name
        self.log = log

    async def __call__(self, call: Callable[[], Awaitable[T]], /) -> T:
        self.log.append(f"{self.name}>")
        try:
            return await call()
        finally:
            self.log.append(f"<{self.name}")


class Counter:
    """An async call that fails ``failures`` times with ``error``, then returns its count."""

    def __init__(self, failures: int = 0, error: type[Exception] = ConnectionError) -> None:
        self.failures = failures
        self.error = error
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error(f"failure {self.calls}")
        return self.calls


async def test_empty_pipeline_calls_async_and_sync_functions() -> None:
    async def add(a: int, b: int = 0) -> int:
        return a + b

    def mul(a: int, b: int) -> int:
        return a * b

    pipe = Pipeline()
    assert await pipe(add, 1, b=2) == 3
    assert await pipe(mul, 3, 4) == 12
    assert pipe.wrap(add) is add  # nothing to add around an async function
    wrapped = pipe.wrap(mul)
    assert await wrapped(2, 5) == 10


async def test_stages_run_outermost_first() -> None:
    log: list[str] = []

    async def fn() -> str:
        log.append("fn")
        return "result"

    pipe = Pipeline(Trace("a", log), Trace("b", log), Trace("c", log))
    assert await pipe(fn) == "result"
    assert log == ["a>", "b>", "c>", "fn", "<c", "<b", "<a"]


async def test_wrap_keeps_the_name_and_runs_the_stages() -> None:
    fn = Counter(failures=2)
    wrapped = Pipeline(retry(3)).wrap(fn.__call__)
    assert wrapped.__name__ == "__call__"
    assert await wrapped() == 3


async def test_sync_callables_run_through_stages() -> None:
    calls: list[int] = []

    def flaky(n: int) -> int:
        calls.append(n)
        if len(calls) < 3:
            raise OSError("busy")
        return n * 10

    assert await Pipeline(retry(3), timeout(1.0))(flaky, 4) == 40
    assert calls == [4, 4, 4]
    assert await Pipeline(fallback(-1))(lambda: 1 / 0) == -1


async def test_retry_outside_timeout_retries_each_timeout(clock: FakeClock, until: Until) -> None:
    attempts: list[int] = []

    async def slow_twice() -> str:
        attempts.append(len(attempts) + 1)
        if len(attempts) <= 2:
            await asyncio.Event().wait()
        return "third time lucky"

    task = asyncio.create_task(Pipeline(retry(3), timeout(1.0, clock=clock))(slow_twice))
    for n in (1, 2):

        def waiting(n: int = n) -> bool:
            return len(attempts) == n and clock.sleepers == 1

        await until(waiting, f"attempt {n} to wait")
        clock.advance(1.0)
    assert await task == "third time lucky"
    assert clock.sleepers == 0


async def test_timeout_outside_retry_bounds_all_tries(clock: FakeClock, until: Until) -> None:
    fn = Counter(failures=100)
    policy = backoff(1.0, factor=1.0, max_delay=1.0, jitter=False)
    pipe = Pipeline(timeout(5.0, clock=clock), retry(100, backoff=policy, clock=clock))
    task = asyncio.create_task(pipe(fn))
    await until(lambda: clock.sleepers == 2, "retry to back off under the timeout")
    for _ in range(4):
        clock.advance(1.0)
        await until(lambda: clock.sleepers == 2, "the next back-off")
    clock.advance(1.0)
    with pytest.raises(TimeoutError):
        await task
    assert fn.calls == 6  # tries at t = 0, 1, 2, 3, 4 and 5; the wait after it is cut short


async def test_breaker_inside_retry_counts_each_try(clock: FakeClock) -> None:
    fn = Counter(failures=100)
    breaker = circuit_breaker(3, 60.0, clock=clock)
    with pytest.raises(CircuitOpenError) as info:
        await Pipeline(retry(5), breaker)(fn)
    assert fn.calls == 3
    assert breaker.state == "open"
    assert "gave up after 5 attempts" in "".join(info.value.__notes__)


async def test_retry_can_leave_circuit_open_errors_alone(clock: FakeClock) -> None:
    fn = Counter(failures=100)
    pipe = Pipeline(retry(5, on=ConnectionError), circuit_breaker(2, 60.0, clock=clock))
    with pytest.raises(CircuitOpenError):
        await pipe(fn)
    assert fn.calls == 2


async def test_nested_pipelines_compose() -> None:
    fn = Counter(failures=100)
    with pytest.raises(ConnectionError):
        await Pipeline(retry(2), Pipeline(retry(3)))(fn)
    assert fn.calls == 6
    result: object = await Pipeline(Pipeline(fallback("inner")), retry(2))(Counter(failures=5))
    assert result == "inner"


async def test_arguments_reach_a_filter_in_a_nested_pipeline() -> None:
    seen: list[str] = []

    async def handle(key: str) -> str:
        seen.append(key)
        return key.upper()

    inner = Pipeline(only_if(lambda key: not key.startswith("_"), otherwise="hidden"))
    pipe = Pipeline(retry(2), inner)
    assert await pipe(handle, "name") == "NAME"
    assert await pipe(handle, "_secret") == "hidden"
    assert seen == ["name"]


async def test_a_pipeline_is_a_stage() -> None:
    stage: Stage = Pipeline(retry(2))
    assert await stage(Counter(failures=1)) == 2


async def test_cancelling_the_outer_task_propagates_and_leaves_nothing(
    clock: FakeClock, until: Until, leftover_tasks: Leftovers
) -> None:
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def hangs() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cancelled.set()

    breaker = circuit_breaker(1, 60.0, clock=clock)
    pipe = Pipeline(
        fallback("fallback", on=BaseException),
        retry(3, on=BaseException),
        breaker,
        rate_limit(1, clock=clock),
        timeout(10.0, clock=clock),
    )
    task = asyncio.create_task(pipe(hangs))
    await until(started.is_set, "the call to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()
    assert breaker.state == "closed"
    assert breaker.failures == 0
    assert clock.sleepers == 0
    assert leftover_tasks() == set()


def test_factories_passed_uncalled_are_explained() -> None:
    with pytest.raises(TypeError, match=r"stage #2 is the factory retry.*Pipeline\(retry\(...\)\)"):
        Pipeline(timeout(1.0), retry)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="stage #1 is 42, which is not a stage"):
        Pipeline(42)  # type: ignore[arg-type]


def test_repr_lists_the_stages() -> None:
    assert repr(Pipeline(retry(3), timeout(2.0))) == (
        "Pipeline(retry(3, on=(Exception,), backoff=None), timeout(2.0))"
    )


async def test_pipeline_calls_are_coroutines_for_create_task() -> None:
    async def answer() -> int:
        return 42

    for pipe in (Pipeline(), Pipeline(retry(2))):
        assert await asyncio.create_task(pipe(answer)) == 42


async def test_empty_pipeline_runs_a_sync_function_when_called() -> None:
    def boom() -> None:
        raise LookupError("raised at call time")

    with pytest.raises(LookupError):
        _ = Pipeline()(boom)  # raises before any await: nothing stands between
    with pytest.raises(LookupError):
        await Pipeline(retry(1))(boom)


async def test_a_stage_may_return_any_awaitable() -> None:
    def future_stage(call: Callable[[], Awaitable[T]]) -> Awaitable[T]:
        return asyncio.ensure_future(call())

    async def answer() -> int:
        return 7

    assert await asyncio.create_task(Pipeline(future_stage)(answer)) == 7
