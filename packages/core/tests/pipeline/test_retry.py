"""retry(): attempt counts, backoff waits, what is and is not retried."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from flow.clock import FakeClock
from flow.pipeline import Pipeline, backoff, retry

if TYPE_CHECKING:
    from .conftest import AutoClock, Until


class Flaky:
    """Fails with ``error`` for the first ``failures`` calls, then returns ``"ok"``."""

    def __init__(self, failures: int, error: BaseException | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionError("refused")
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ok"


async def test_succeeds_after_failures() -> None:
    fn = Flaky(2)
    assert await Pipeline(retry(3))(fn) == "ok"
    assert fn.calls == 3


async def test_gives_up_after_attempts_with_a_note() -> None:
    fn = Flaky(10)
    with pytest.raises(ConnectionError, match="refused") as info:
        await Pipeline(retry(4))(fn)
    assert fn.calls == 4
    assert "gave up after 4 attempts" in "".join(info.value.__notes__)


async def test_one_attempt_means_no_retry() -> None:
    fn = Flaky(1)
    with pytest.raises(ConnectionError):
        await Pipeline(retry(1))(fn)
    assert fn.calls == 1


async def test_exact_backoff_delays_between_tries(auto_clock: AutoClock) -> None:
    fn = Flaky(10)
    policy = backoff(0.1, 3.0, max_delay=0.5, jitter=False)
    with pytest.raises(ConnectionError):
        await Pipeline(retry(5, backoff=policy, clock=auto_clock))(fn)
    assert fn.calls == 5
    # Four waits between five tries, none after the last.
    assert auto_clock.slept == pytest.approx([0.1, 0.3, 0.5, 0.5])


async def test_jittered_delays_are_bounded(auto_clock: AutoClock) -> None:
    fn = Flaky(10)
    policy = backoff(0.2, 2.0, max_delay=1.0, jitter=True, seed=3)
    with pytest.raises(ConnectionError):
        await Pipeline(retry(6, backoff=policy, clock=auto_clock))(fn)
    nominal = [0.2, 0.4, 0.8, 1.0, 1.0]
    assert len(auto_clock.slept) == 5
    for got, top in zip(auto_clock.slept, nominal, strict=True):
        assert top / 2 <= got <= top


async def test_unlisted_exception_is_not_retried() -> None:
    fn = Flaky(5, ValueError("bad input"))
    with pytest.raises(ValueError, match="bad input"):
        await Pipeline(retry(3, on=ConnectionError))(fn)
    assert fn.calls == 1


async def test_only_listed_exceptions_are_retried() -> None:
    fn = Flaky(2, TimeoutError())
    assert await Pipeline(retry(3, on=(ConnectionError, TimeoutError)))(fn) == "ok"
    assert fn.calls == 3


async def test_cancelled_error_is_never_retried() -> None:
    fn = Flaky(5, asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await Pipeline(retry(3, on=BaseException))(fn)
    assert fn.calls == 1


async def test_cancelling_during_backoff_stops_retrying(clock: FakeClock, until: Until) -> None:
    fn = Flaky(10)
    pipe = Pipeline(retry(5, backoff=backoff(1.0, jitter=False), clock=clock))
    task = asyncio.create_task(pipe(fn))
    await until(lambda: clock.sleepers == 1, "retry to back off")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fn.calls == 1
    assert clock.sleepers == 0


@pytest.mark.parametrize("attempts", [0, -1, 1.5, True])
def test_bad_attempts_are_refused(attempts: object) -> None:
    with pytest.raises(ValueError, match="total number of tries"):
        retry(attempts)  # type: ignore[arg-type]


def test_bad_on_and_backoff_are_refused() -> None:
    with pytest.raises(TypeError, match="on= takes exception classes"):
        retry(3, on=("ConnectionError",))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="takes a policy from backoff"):
        retry(3, backoff=0.5)  # type: ignore[arg-type]
