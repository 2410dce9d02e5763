"""Capacitor behaviour: health machine, rollback, callbacks, debounce, life cycle, events."""

from __future__ import annotations

import asyncio
import threading
from typing import Any, ClassVar

import pydantic
import pytest
from flow import FakeClock
from flow.errors import CapacitorError, SourceAuthError, StartupTimeout
from flow.events import Event, EventBus
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import ChannelWatcher

from .conftest import AppConfig, doc


async def test_first_value_is_applied_and_healthy() -> None:
    seen: list[tuple[Any, Any]] = []
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, on_change=lambda p, c: seen.append((p, c))) as cap:
        assert cap.health is Health.HEALTHY
        assert cap.current == AppConfig(name="app", port=1)
        assert seen == [(None, AppConfig(name="app", port=1))]


async def test_rollback_on_validation_failure_keeps_value_and_skips_callbacks() -> None:
    calls: list[Any] = []
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, on_change=lambda p, c: calls.append(c)) as cap:
        ch.push(doc(port=-5))
        await cap.wait_for(lambda c: c.counters.processed == 2)
        assert cap.current == AppConfig(name="app", port=1)
        assert cap.health is Health.DEGRADED
        assert len(calls) == 1
        assert cap.errors[-1].stage == "validate"
        assert "port" in cap.errors[-1].message


async def test_recovery_from_degraded_to_healthy() -> None:
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig) as cap:
        ch.push(b"{not json")
        await cap.wait_for(lambda c: c.health is Health.DEGRADED)
        assert cap.errors[-1].stage == "decode"
        ch.push(doc(port=2))
        await cap.wait_for(lambda c: c.health is Health.HEALTHY)
        assert cap.current is not None
        assert cap.current.port == 2


async def test_invalid_at_start_is_empty_then_valid_is_healthy() -> None:
    ch = ChannelWatcher(doc(port=0))
    async with Capacitor(ch, model=AppConfig) as cap:
        assert cap.health is Health.EMPTY
        assert cap.current is None
        ch.push(doc(port=3))
        await cap.wait_for(lambda c: c.health is Health.HEALTHY)
        assert cap.current is not None
        assert cap.current.port == 3


async def test_missing_source_at_start_is_empty_with_a_reason() -> None:
    ch = ChannelWatcher(None)
    async with Capacitor(ch, model=AppConfig) as cap:
        assert cap.health is Health.EMPTY
        assert "absent" in cap.errors[-1].message
        ch.push(doc(port=4))
        await cap.wait_for(lambda c: c.health is Health.HEALTHY)
        assert cap.current is not None
        assert cap.current.port == 4


async def test_deleted_source_keeps_last_value_and_degrades() -> None:
    ch = ChannelWatcher(doc(port=5))
    async with Capacitor(ch, model=AppConfig) as cap:
        ch.delete()
        await cap.wait_for(lambda c: c.health is Health.DEGRADED)
        assert cap.current is not None
        assert cap.current.port == 5


async def test_cannot_start_twice() -> None:
    cap = Capacitor(ChannelWatcher(doc()), model=AppConfig)
    async with cap:
        with pytest.raises(CapacitorError, match="already started"):
            await cap.start()
    with pytest.raises(CapacitorError):
        await cap.start()


async def test_callback_error_rolls_back_and_degrades() -> None:
    def explode(previous: Any, current: AppConfig) -> None:
        if current.port == 2:
            raise RuntimeError("cannot apply port 2")

    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, on_change=explode) as cap:
        ch.push(doc(port=2))
        await cap.wait_for(lambda c: c.counters.apply_failed == 1)
        assert cap.current is not None
        assert cap.current.port == 1
        assert cap.health is Health.DEGRADED
        assert cap.errors[-1].stage == "apply"
        assert "cannot apply port 2" in cap.errors[-1].message
        ch.push(doc(port=3))
        await cap.wait_for(lambda c: c.health is Health.HEALTHY)


async def test_async_callbacks_are_awaited_in_order() -> None:
    order: list[str] = []

    async def first(previous: Any, current: Any) -> None:
        await asyncio.sleep(0)
        order.append("first")

    def second(previous: Any, current: Any) -> None:
        order.append("second")

    async with Capacitor(ChannelWatcher(doc()), model=AppConfig, on_change=[first, second]):
        assert order == ["first", "second"]


async def test_on_change_can_be_added_and_removed() -> None:
    seen: list[int] = []
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig) as cap:
        remove = cap.on_change(lambda p, c: seen.append(c.port))
        ch.push(doc(port=2))
        await cap.wait_for(lambda c: c.counters.applied == 2)
        remove()
        ch.push(doc(port=3))
        await cap.wait_for(lambda c: c.counters.applied == 3)
    assert seen == [2]


async def test_watcher_closed_before_first_value_fails_start_without_hanging() -> None:
    ch = ChannelWatcher(initial=...)
    ch.end()
    cap = Capacitor(ch, model=AppConfig, startup_timeout=5)
    with pytest.raises(CapacitorError, match="ended"):
        await cap.start()
    assert cap.health is Health.EMPTY
    assert not cap.running


async def test_permanent_source_error_at_start_is_raised() -> None:
    ch = ChannelWatcher(initial=...)
    ch.fail(SourceAuthError("redis://u:***@h/0: authentication refused; check the password"))
    with pytest.raises(SourceAuthError, match="authentication refused"):
        await Capacitor(ch, model=AppConfig).start()


async def test_transient_watcher_error_resubscribes_and_ends_on_latest() -> None:
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig) as cap:
        ch.fail(ConnectionError("connection reset"))
        ch.push(doc(port=9))
        await cap.wait_for(lambda c: c.current is not None and c.current.port == 9)
        assert cap.counters.watch_failed == 1
        assert ch.iterations == 2
        assert cap.health is Health.HEALTHY


async def test_startup_timeout_raises_and_stops() -> None:
    before = set(asyncio.all_tasks())
    cap = Capacitor(ChannelWatcher(initial=...), model=AppConfig, startup_timeout=0.05)
    with pytest.raises(StartupTimeout, match="startup_timeout"):
        await cap.start()
    assert not cap.running
    assert set(asyncio.all_tasks()) - before == set()


async def test_identical_bytes_are_skipped() -> None:
    calls: list[Any] = []
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, on_change=lambda p, c: calls.append(c)) as cap:
        ch.push(doc(port=1))
        ch.push(doc(port=2))
        await cap.wait_for(lambda c: c.counters.applied == 2)
        assert cap.counters.skipped_identical == 1
        assert len(calls) == 2


async def test_error_history_evicts_oldest() -> None:
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, error_history=3) as cap:
        for port in (-1, -2, -3, -4):
            ch.push(doc(port=port))
        await cap.wait_for(lambda c: c.counters.validation_failed == 4)
        assert len(cap.errors) == 3
        assert all("port" in e.message for e in cap.errors)
        assert [e.revision for e in cap.errors] == ["3", "4", "5"]


async def test_health_changed_is_emitted_only_on_change() -> None:
    events = EventBus()
    changes: list[tuple[str, str]] = []
    events.subscribe(
        "capacitor.health_changed", lambda e: changes.append((e.data["previous"], e.data["health"]))
    )
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, events=events) as cap:
        for port in (-1, -2, 2, 3):
            ch.push(doc(port=port))
        await cap.wait_for(lambda c: c.counters.processed == 5)
    assert changes == [("loading", "healthy"), ("healthy", "degraded"), ("degraded", "healthy")]


async def test_lifecycle_events_are_emitted() -> None:
    events = EventBus()
    names: list[str] = []
    events.subscribe("capacitor.", lambda e: names.append(e.name.removeprefix("capacitor.")))
    ch = ChannelWatcher(doc(port=1))
    async with Capacitor(ch, model=AppConfig, events=events) as cap:
        ch.push(b"[")
        await cap.wait_for(lambda c: c.counters.decode_failed == 1)
        ch.push(doc(port=0))
        await cap.wait_for(lambda c: c.counters.validation_failed == 1)
    assert names == [
        "started",
        "change_received",
        "applied",
        "health_changed",
        "change_received",
        "decode_failed",
        "health_changed",
        "change_received",
        "validation_failed",
        "stopped",
    ]


async def test_a_failing_event_handler_never_breaks_the_capacitor() -> None:
    events = EventBus()

    def broken(event: Event) -> None:
        raise RuntimeError("handler bug")

    events.subscribe("*", broken)
    async with Capacitor(ChannelWatcher(doc(port=7)), model=AppConfig, events=events) as cap:
        assert cap.current is not None
        assert cap.current.port == 7


async def test_model_can_be_any_type_adapter_type_or_none() -> None:
    async with Capacitor(ChannelWatcher(b'{"a": "1"}'), model=dict[str, int]) as cap:
        assert cap.current == {"a": 1}
    async with Capacitor(ChannelWatcher(b"[1, 2]")) as cap:
        assert cap.current == [1, 2]


async def test_codec_option_chooses_the_decoder() -> None:
    async with Capacitor(
        ChannelWatcher(b"name: app\nport: 80\n"), codec="yaml", model=AppConfig
    ) as c:
        assert c.current == AppConfig(name="app", port=80)


async def test_a_bad_model_fails_at_construction() -> None:
    class NotAModel:
        pass

    with pytest.raises(TypeError, match="cannot validate"):
        Capacitor(ChannelWatcher(doc()), model=NotAModel)


# -- debounce (deterministic: sync=True with a FakeClock) ------------------------------------


class CountingModel(pydantic.BaseModel):
    validations: ClassVar[int] = 0
    n: int

    @pydantic.field_validator("n")
    @classmethod
    def _count(cls, value: int) -> int:
        CountingModel.validations += 1
        return value


async def test_debounce_coalesces_a_burst_and_applies_the_latest() -> None:
    clock = FakeClock()
    ch = ChannelWatcher(b'{"n": 0}')
    cap = Capacitor(ch, model=CountingModel, sync=True, clock=clock, debounce=0.1)
    await cap.start()
    CountingModel.validations = 0
    assert await cap.process()  # the first value is processed at once
    for n in range(1, 50):
        ch.push(b'{"n": %d}' % n)
        clock.advance(0.01)
        assert not await cap.process()
    clock.advance(0.1)
    assert await cap.process()
    assert CountingModel.validations == 2  # the first value and the latest, nothing between
    assert cap.current is not None
    assert cap.current.n == 49
    assert cap.counters.coalesced == 48
    await cap.aclose()


async def test_debounce_max_wait_applies_a_source_that_never_stops() -> None:
    clock = FakeClock()
    ch = ChannelWatcher(b'{"n": 0}')
    cap = Capacitor(ch, model=CountingModel, sync=True, clock=clock, debounce=0.1, max_wait=0.3)
    await cap.start()
    await cap.process()
    applied_at: list[float] = []
    for n in range(1, 100):
        ch.push(b'{"n": %d}' % n)
        if await cap.process():
            applied_at.append(clock.monotonic())
        clock.advance(0.05)  # always sooner than debounce: only max_wait can fire
    assert applied_at, "max_wait never applied a value"
    assert applied_at[0] == pytest.approx(0.3)
    assert cap.current is not None
    assert cap.current.n > 1
    await cap.aclose()


async def test_pending_debounced_value_is_processed_on_close() -> None:
    clock = FakeClock()
    ch = ChannelWatcher(b'{"n": 0}')
    cap = Capacitor(ch, model=CountingModel, sync=True, clock=clock, debounce=10)
    await cap.start()
    await cap.process()
    ch.push(b'{"n": 5}')
    assert not await cap.process()
    await cap.aclose()
    assert cap.current == CountingModel(n=5)


async def test_debounce_in_background_mode_with_real_time() -> None:
    ch = ChannelWatcher(b'{"n": 0}')
    async with Capacitor(ch, model=CountingModel, debounce=0.02, max_wait=0.2) as cap:
        for n in range(1, 200):
            ch.push(b'{"n": %d}' % n)
        await cap.wait_for(lambda c: c.current is not None and c.current.n == 199, timeout=5)
        assert cap.counters.applied < 20


async def test_process_outside_sync_mode_is_refused() -> None:
    async with Capacitor(ChannelWatcher(b'{"n": 0}'), model=CountingModel) as cap:
        with pytest.raises(CapacitorError, match="sync=True"):
            await cap.process()


def test_invalid_debounce_settings_are_rejected() -> None:
    with pytest.raises(ValueError, match="max_wait"):
        Capacitor(ChannelWatcher(b"{}"), debounce=1.0, max_wait=0.5)


# -- synchronous programs --------------------------------------------------------------------


def test_start_background_and_stop_from_sync_code() -> None:
    threads_before = set(threading.enumerate())
    ch = ChannelWatcher(doc(port=11))
    cap = Capacitor(ch, model=AppConfig)
    cap.start_background(timeout=5)
    try:
        assert cap.current == AppConfig(name="app", port=11)
        seen = threading.Event()
        cap.on_change(lambda p, c: seen.set())
        assert cap._thread is not None
        # ChannelWatcher is not thread-safe: push from the capacitor's own loop.
        cap._thread.loop.call_soon_threadsafe(ch.push, doc(port=12))
        assert seen.wait(5)
        assert cap.current is not None
        assert cap.current.port == 12
        with pytest.raises(CapacitorError, match="already runs"):
            cap.start_background()
    finally:
        cap.stop()
    assert not cap.running
    assert set(threading.enumerate()) - threads_before == set()


def test_start_background_reraises_startup_errors_and_leaks_no_thread() -> None:
    threads_before = set(threading.enumerate())
    cap = Capacitor(ChannelWatcher(initial=...), model=AppConfig, startup_timeout=0.05)
    with pytest.raises(StartupTimeout):
        cap.start_background(timeout=5)
    assert set(threading.enumerate()) - threads_before == set()
