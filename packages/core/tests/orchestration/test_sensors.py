"""Polling sensors (answers, cursor, failures) and source sensors on in-memory watchers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flow.assets import Definitions, StaticPartitions, asset
from flow.assets.scheduler import Scheduler
from flow.assets.sensors import (
    RunRequest,
    Sensor,
    SensorContext,
    SourceSensor,
    default_sensors,
    sensor,
    source_sensors,
    watch_source,
)
from flow.clock import FakeClock
from flow.errors import AssetDefinitionError
from flow.live.change import Change
from flow.store import MetadataStore, Status
from flow.testing import ChannelWatcher

T0 = datetime(2026, 6, 1, tzinfo=UTC)


async def until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` real seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)  # a poll interval with a deadline, not a synchronisation


def _regions(seen: list[Any]) -> Definitions:
    @asset(partitions=StaticPartitions(["eu", "us", "apac"]))
    def sales(context: Any) -> str:
        seen.append(context.partition)
        return "ok"

    @asset
    def summary() -> int:
        seen.append("summary")
        return 1

    return Definitions([sales, summary])


# -- polling sensors ---------------------------------------------------------------------------


def test_answers_become_run_requests() -> None:
    probe = Sensor("inbox", lambda c: None, ("sales",))
    assert probe.requests(None) == []
    assert probe.requests(False) == []
    assert probe.requests(True) == [RunRequest(("sales",))]
    assert probe.requests("eu") == [RunRequest(("sales",), "eu")]
    assert probe.requests(["eu", RunRequest(("summary",))]) == [
        RunRequest(("sales",), "eu"),
        RunRequest(("summary",)),
    ]
    assert probe.requests(("a", "b")) == [RunRequest(("sales",), ("a", "b"))]  # a multi key
    with pytest.raises(AssetDefinitionError, match="not None/True/False"):
        probe.requests(["eu", None])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"interval": 0}, "interval must be > 0"),
        ({"interval": "5"}, "interval is seconds"),
        ({"targets": ()}, "targets is empty"),
        ({"targets": ("a/../b",)}, "path traversal"),
        ({"fn": 3}, "fn must be a function"),
    ],
)
def test_bad_sensors_are_refused(kwargs: dict[str, Any], message: str) -> None:
    base: dict[str, Any] = {"name": "inbox", "fn": lambda c: None, "targets": ("sales",)}
    with pytest.raises(AssetDefinitionError, match=message):
        Sensor(**{**base, **kwargs})


async def test_a_polling_sensor_materializes_what_it_returns_and_keeps_its_cursor(
    store: MetadataStore,
) -> None:
    seen: list[Any] = []
    calls: list[str | None] = []

    @sensor(targets=["sales"], interval=60)
    def new_regions(context: SensorContext) -> list[str]:
        calls.append(context.cursor)
        if context.cursor == "2":
            return []
        context.update_cursor("2")
        return ["eu", "us"]

    assert new_regions in default_sensors().snapshot()
    clock = FakeClock(wall_offset=T0.timestamp())
    runner = Scheduler(_regions(seen), store=store, schedules=[], clock=clock)
    records = await runner.run_once()

    assert sorted(seen) == ["eu", "us"]
    assert [r.status for r in records] == [Status.SUCCESS, Status.SUCCESS]
    assert store.get_watermark("flow.sensor", "new_regions") == "2"
    run = store.get_run(records[0].run_id)
    assert run is not None
    assert run.kind == "sensor"
    assert run.tags["sensor"] == "new_regions"

    # After a "restart", the persisted cursor makes the sensor answer nothing.
    again = Scheduler(_regions(seen), store=store, schedules=[], clock=clock)
    assert await again.run_once() == []
    assert calls == [None, "2"]


async def test_a_failing_sensor_is_recorded_and_the_loop_keeps_polling(
    store: MetadataStore,
) -> None:
    seen: list[Any] = []
    answers: list[Any] = [RuntimeError("inbox unreachable"), True]

    async def flaky(context: SensorContext) -> bool:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    probe = Sensor("flaky", flaky, ("summary",), interval=10)
    clock = FakeClock(wall_offset=T0.timestamp())
    runner = Scheduler(_regions(seen), store=store, schedules=[], sensors=[probe], clock=clock)
    task = asyncio.create_task(runner.run())
    try:
        await until(lambda: store.audit_events(action="sensor.error"), "the error record")
        await until(lambda: clock.sleepers >= 2, "the sensor to sleep")
        clock.advance(10)
        await until(lambda: len(runner.records) == 1, "the second evaluation's run")
    finally:
        runner.stop()
        await task
    (error,) = store.audit_events(action="sensor.error")
    assert error.target == "flaky"
    assert error.details is not None
    assert "inbox unreachable" in error.details["error"]
    assert seen == ["summary"]


async def test_a_sensor_asking_for_a_bad_partition_fails_only_that_run(
    store: MetadataStore,
) -> None:
    seen: list[Any] = []
    probe = Sensor("typo", lambda c: ["mars", "eu"], ("sales",))
    runner = Scheduler(_regions(seen), store=store, schedules=[], sensors=[probe])
    records = await runner.run_once()
    by_partition = {r.partition: r for r in records}
    assert by_partition["mars"].status is Status.FAILED
    assert "mars" in (by_partition["mars"].error or "")
    assert by_partition["eu"].status is Status.SUCCESS
    assert seen == ["eu"]


# -- source sensors ----------------------------------------------------------------------------


class Channels:
    """Hands out ChannelWatchers; the test pushes into the newest one."""

    def __init__(self, *initial: bytes | None) -> None:
        self.opened: list[ChannelWatcher] = []
        self.initial = list(initial)

    def __call__(self, uri: str) -> ChannelWatcher:
        channel = ChannelWatcher(self.initial.pop(0) if self.initial else None)
        self.opened.append(channel)
        return channel

    @property
    def current(self) -> ChannelWatcher:
        return self.opened[-1]


async def _watching(
    sensor_: SourceSensor, channels: Channels, clock: FakeClock
) -> tuple[asyncio.Task[None], list[bytes | None], list[BaseException]]:
    acted: list[bytes | None] = []
    errors: list[BaseException] = []

    async def changed(_: SourceSensor, change: Change) -> None:
        acted.append(change.value)

    async def failed(_: SourceSensor, error: BaseException) -> None:
        errors.append(error)

    task = asyncio.create_task(
        watch_source(sensor_, changed, clock=clock, open_watcher=channels, on_error=failed)
    )
    await until(lambda: channels.opened and channels.current.pending == 0, "the first value")
    return task, acted, errors


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_burst_is_debounced_into_one_action_and_the_initial_value_is_not_one() -> None:
    clock = FakeClock()
    channels = Channels(b"v0")
    task, acted, _ = await _watching(SourceSensor("mem://k", ("a",), debounce=0.5), channels, clock)
    try:
        for value in (b"v1", b"v2", b"v3"):
            channels.current.push(value)
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "debounce")
        clock.advance(0.4)
        assert acted == []
        clock.advance(0.1)
        await until(lambda: acted == [b"v3"], "one action with the latest value")
        # The same bytes again (e.g. a re-read) are not a change; a new value is.
        channels.current.push(b"v3")
        channels.current.push(b"v4")
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "debounce")
        clock.advance(0.5)
        await until(lambda: acted == [b"v3", b"v4"], "the new value")
        channels.current.push(b"v4")
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "debounce")
        clock.advance(0.5)
        channels.current.push(b"v5")
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "debounce")
        clock.advance(0.5)
        await until(lambda: len(acted) == 3, "the third action")
        assert acted == [b"v3", b"v4", b"v5"]
    finally:
        await _stop(task)
    assert channels.current.closed


async def test_a_source_that_never_settles_is_acted_on_after_max_wait() -> None:
    clock = FakeClock()
    channels = Channels(b"v0")
    probe = SourceSensor("mem://k", ("a",), debounce=0.5, max_wait=2.0)
    task, acted, _ = await _watching(probe, channels, clock)
    try:
        for step in range(1, 6):
            channels.current.push(f"v{step}".encode())
            await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "wait")
            clock.advance(0.4)
        await until(lambda: acted == [b"v5"], "the capped action")
        assert clock.monotonic() == pytest.approx(2.0)
    finally:
        await _stop(task)


async def test_trigger_initial_acts_on_the_first_value() -> None:
    clock = FakeClock()
    channels = Channels(b"v0")
    probe = SourceSensor("mem://k", ("a",), debounce=0.1, trigger_initial=True)
    task, acted, _ = await _watching(probe, channels, clock)
    try:
        await until(lambda: clock.sleepers == 1, "debounce")
        clock.advance(0.1)
        await until(lambda: acted == [b"v0"], "the initial value")
    finally:
        await _stop(task)


async def test_a_failing_watcher_is_reported_and_reopened_and_the_missed_change_is_seen() -> None:
    clock = FakeClock()
    channels = Channels(b"v0", b"v1")
    probe = SourceSensor("mem://k", ("a",), debounce=0.1)
    task, acted, errors = await _watching(probe, channels, clock)
    try:
        first = channels.current
        first.fail(ConnectionResetError("server went away"))
        await until(lambda: errors and first.closed, "the error report")
        assert isinstance(errors[0], ConnectionResetError)
        await until(lambda: clock.sleepers == 1, "the reconnect backoff")
        clock.advance(1.0)  # the first backoff is at most 0.5 s
        await until(lambda: len(channels.opened) == 2, "the reopened watcher")
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 1, "debounce")
        clock.advance(0.1)
        # v1 appeared while the watcher was down: it differs from v0, so it is acted on.
        await until(lambda: acted == [b"v1"], "the change made during the outage")
    finally:
        await _stop(task)


def test_source_sensors_group_assets_by_uri() -> None:
    @asset(sources=["mem://a"])
    def one() -> int:
        return 1

    @asset(sources=["mem://a", "redis://:secret@127.0.0.1:1/0?key=k"])
    def two() -> int:
        return 2

    found = source_sensors(Definitions([one, two]), debounce=1.0)
    assert [(s.uri, s.targets) for s in found] == [
        ("mem://a", ("one", "two")),
        ("redis://:secret@127.0.0.1:1/0?key=k", ("two",)),
    ]
    assert "secret" not in found[1].name
    assert found[0].debounce == 1.0


async def test_the_scheduler_re_materializes_assets_whose_source_changed(
    store: MetadataStore,
) -> None:
    values: list[int] = []

    @asset(sources=["mem://settings"])
    def settings_report() -> int:
        values.append(len(values))
        return len(values)

    channels = Channels(b"{}")
    clock = FakeClock(wall_offset=T0.timestamp())
    probe = SourceSensor("mem://settings", ("settings_report",), debounce=0.2)
    runner = Scheduler(
        Definitions([settings_report]),
        store=store,
        schedules=[],
        sensors=[],
        sources=[probe],
        clock=clock,
        open_watcher=channels,
    )
    task = asyncio.create_task(runner.run())
    try:
        await until(lambda: channels.opened and channels.current.pending == 0, "the watcher")
        channels.current.push(b'{"x": 1}')
        await until(lambda: channels.current.pending == 0 and clock.sleepers == 2, "debounce")
        clock.advance(0.2)
        await until(lambda: len(runner.records) == 1, "the run")
    finally:
        runner.stop()
        await task
    (record,) = runner.records
    assert record.status is Status.SUCCESS
    assert record.trigger == "source"
    assert values == [0]
    run = store.get_run(record.run_id)
    assert run is not None
    assert run.tags["source"] == "source:mem://settings"
    assert channels.current.closed
