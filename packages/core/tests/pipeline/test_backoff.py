"""backoff(): exact exponential delays, the cap, jitter bounds, seeding, counters."""

from __future__ import annotations

import asyncio
import itertools
import random
from typing import TYPE_CHECKING

import pytest
from flow.clock import FakeClock
from flow.pipeline import Backoff, backoff

if TYPE_CHECKING:
    from .conftest import Until


def test_exact_delays_without_jitter() -> None:
    policy = backoff(0.1, 2.0, max_delay=1.0, jitter=False)
    assert [policy.delay(n) for n in range(6)] == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])
    assert list(itertools.islice(policy.delays(), 4)) == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert list(itertools.islice(policy.delays(start=2), 2)) == pytest.approx([0.4, 0.8])


def test_huge_attempts_stay_at_the_cap() -> None:
    policy = backoff(0.5, 10.0, max_delay=7.0, jitter=False)
    assert policy.delay(100_000) == 7.0


@pytest.mark.parametrize(("jitter", "low"), [(True, 0.5), (0.25, 0.75), (1.0, 0.0)])
def test_jitter_stays_within_bounds(jitter: bool | float, low: float) -> None:
    policy = backoff(0.1, 2.0, max_delay=3.0, jitter=jitter, seed=7)
    draws = [(n, policy.delay(n)) for n in range(12) for _ in range(50)]
    for n, got in draws:
        nominal = min(0.1 * 2.0**n, 3.0)
        assert nominal * low - 1e-12 <= got <= nominal
    # Jitter really varies the delays.
    assert len({round(d, 12) for n, d in draws if n == 3}) > 10


def test_seed_makes_jitter_repeatable() -> None:
    first = list(itertools.islice(backoff(seed=42).delays(), 8))
    second = list(itertools.islice(backoff(seed=42).delays(), 8))
    other = list(itertools.islice(backoff(seed=43).delays(), 8))
    assert first == second
    assert first != other
    shared = random.Random(1)
    assert backoff(rng=shared).rng is shared


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base": -1}, "base must be >= 0"),
        ({"factor": 0.5}, "factor must be >= 1"),
        ({"base": 2.0, "max_delay": 1.0}, "max_delay (1.0) must be >= base"),
        ({"jitter": 1.5}, "jitter must be a bool or a fraction"),
        ({"seed": 1, "rng": random.Random()}, "not both"),
    ],
)
def test_bad_arguments_are_explained(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        backoff(**kwargs)  # type: ignore[arg-type]


def test_negative_attempt_is_refused() -> None:
    with pytest.raises(ValueError, match="attempt must be >= 0"):
        backoff().delay(-1)


async def test_sleep_uses_the_clock(clock: FakeClock, until: Until) -> None:
    policy = backoff(0.5, jitter=False)
    task = asyncio.create_task(policy.sleep(2, clock))
    await until(lambda: clock.sleepers == 1, "the backoff to sleep")
    clock.advance(1.999)
    assert clock.sleepers == 1  # not yet due
    clock.advance(0.001)
    assert await task == 2.0


async def test_counter_waits_then_resets(auto_clock: FakeClock) -> None:
    counter = backoff(0.05, max_delay=0.3, jitter=False).counter(auto_clock)
    waited = [await counter.wait() for _ in range(4)]
    assert waited == pytest.approx([0.05, 0.1, 0.2, 0.3])
    assert counter.attempt == 4
    assert auto_clock.monotonic() == pytest.approx(0.65)
    counter.reset()
    assert counter.attempt == 0
    assert await counter.wait() == pytest.approx(0.05)
    assert counter.next_delay() == pytest.approx(0.1)


def test_policy_is_a_frozen_value() -> None:
    policy = backoff(jitter=False)
    assert isinstance(policy, Backoff)
    with pytest.raises(AttributeError):
        policy.base = 1.0  # type: ignore[misc]
