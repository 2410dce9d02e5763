"""The apply stage runs through a Pipeline: retries, and a circuit breaker that opens."""

from __future__ import annotations

from typing import Any

from flow import FakeClock, Pipeline, circuit_breaker, retry
from flow.errors import CircuitOpenError
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import ChannelWatcher

from .conftest import AppConfig, doc


async def test_retry_makes_a_flaky_callback_apply() -> None:
    attempts: list[int] = []

    def flaky(previous: Any, current: AppConfig) -> None:
        attempts.append(current.port)
        if len(attempts) < 3:
            raise ConnectionError("downstream not ready")

    async with Capacitor(
        ChannelWatcher(doc(port=1)), model=AppConfig, on_change=flaky, pipeline=Pipeline(retry(3))
    ) as cap:
        assert cap.health is Health.HEALTHY
        assert attempts == [1, 1, 1]


async def test_circuit_breaker_opens_after_repeated_apply_failures() -> None:
    clock = FakeClock()
    breaker = circuit_breaker(3, 30.0, clock=clock)
    calls: list[int] = []

    def always_fails(previous: Any, current: AppConfig) -> None:
        calls.append(current.port)
        raise RuntimeError("downstream down")

    ch = ChannelWatcher(doc(port=1))
    cap = Capacitor(
        ch,
        model=AppConfig,
        on_change=always_fails,
        pipeline=Pipeline(breaker),
        sync=True,
        clock=clock,
    )
    await cap.start()
    for port in range(1, 6):
        if port > 1:
            ch.push(doc(port=port))
        await cap.process()
    assert breaker.state == "open"
    assert calls == [1, 2, 3]  # the breaker refused the last two without calling
    assert "CircuitOpenError" in cap.errors[-1].message or "circuit" in cap.errors[-1].message
    assert cap.health is Health.EMPTY
    clock.advance(30.0)  # half-open: one trial call goes through
    ch.push(doc(port=9))
    await cap.process()
    assert calls[-1] == 9
    assert breaker.state == "open"
    await cap.aclose()
    assert issubclass(CircuitOpenError, Exception)
