"""The scheduler with a FakeClock: fires across DST, persistence across restarts, catch-up."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flow.assets import (
    DailyPartitions,
    Definitions,
    HourlyPartitions,
    WaitForApproval,
    asset,
    materialize_async,
)
from flow.assets.scheduler import Scheduler
from flow.assets.schedules import MAX_CATCH_UP, CatchUp, Schedule
from flow.clock import FakeClock
from flow.errors import AssetDefinitionError
from flow.store import MetadataStore, Status


async def until(condition: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` real seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.002)  # a poll interval with a deadline, not a synchronisation


def clock_at(moment: datetime) -> FakeClock:
    return FakeClock(wall_offset=moment.timestamp())


def advance_to(clock: FakeClock, moment: datetime) -> None:
    clock.advance(moment.timestamp() - clock.time())


def _daily_defs(seen: list[Any]) -> Definitions:
    @asset(partitions=DailyPartitions("2026-10-01", timezone="America/New_York"))
    def report(context: Any) -> str:
        seen.append(context.partition)
        return "ok"

    return Definitions([report])


def _nightly(**kwargs: Any) -> Schedule:
    return Schedule(
        "nightly",
        "30 1 * * *",
        ("report",),
        timezone="America/New_York",
        partition=lambda fire: fire.date() - timedelta(days=1),
        **kwargs,
    )


async def test_fires_across_fall_back_and_the_next_fire_survives_a_restart(
    store: MetadataStore, project: Path
) -> None:
    seen: list[Any] = []
    defs = _daily_defs(seen)
    clock = clock_at(datetime(2026, 10, 31, 12, tzinfo=UTC))
    runner = Scheduler(defs, store=store, schedules=[_nightly()], sensors=[], clock=clock)
    task = asyncio.create_task(runner.run())
    fired: list[datetime] = []
    try:
        for _ in range(3):
            await until(lambda: _next(store) is not None and clock.sleepers >= 2, "a sleep")
            target = _next(store)
            assert target is not None
            advance_to(clock, target)
            await until(lambda t=target: _last(store) == t, f"the fire at {target}")  # type: ignore[misc]
            fired.append(target)
    finally:
        runner.stop()
        await task

    assert fired == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),  # 01:30 EDT, once on the 25-hour night
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),  # 01:30 EST
        datetime(2026, 11, 3, 6, 30, tzinfo=UTC),
    ]
    assert seen == [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)]
    assert [r.status for r in runner.records] == [Status.SUCCESS] * 3
    runs = [store.get_run(r.run_id) for r in runner.records]
    assert all(r is not None and r.kind == "schedule" for r in runs)
    assert runs[0] is not None
    assert runs[0].tags["schedule"] == "nightly"

    # A "restart": a new store object and scheduler read the persisted next fire back.
    with MetadataStore.open(project_dir=project) as reopened:
        saved = reopened.get_schedule("nightly")
        assert saved is not None
        assert saved.next_fire_at == datetime(2026, 11, 4, 6, 30, tzinfo=UTC)
        again = Scheduler(defs, store=reopened, schedules=[_nightly()], sensors=[], clock=clock)
        await again.sync_schedules()
        assert reopened.get_schedule("nightly") == saved  # unchanged, not recomputed
    assert [e.action for e in store.audit_events(target="nightly")] == ["schedule.create"]


def _next(store: MetadataStore) -> datetime | None:
    saved = store.get_schedule("nightly")
    return saved.next_fire_at if saved else None


def _last(store: MetadataStore) -> datetime | None:
    saved = store.get_schedule("nightly")
    return saved.last_fired_at if saved else None


async def test_changing_the_cron_recomputes_the_next_fire_and_is_audited(
    store: MetadataStore,
) -> None:
    defs = _daily_defs([])
    clock = clock_at(datetime(2026, 10, 20, 12, tzinfo=UTC))
    await Scheduler(defs, store=store, schedules=[_nightly()], sensors=[], clock=clock).run_once()
    changed = Schedule("nightly", "0 7 * * *", ("report",), timezone="America/New_York")
    await Scheduler(defs, store=store, schedules=[changed], sensors=[], clock=clock).run_once()
    disabled = Schedule(
        "nightly", "0 7 * * *", ("report",), timezone="America/New_York", enabled=False
    )
    await Scheduler(defs, store=store, schedules=[disabled], sensors=[], clock=clock).run_once()

    saved = store.get_schedule("nightly")
    assert saved is not None
    assert saved.cron == "0 7 * * *"
    assert not saved.enabled
    assert saved.next_fire_at == datetime(2026, 10, 21, 11, 0, tzinfo=UTC)  # 07:00 EDT
    events = list(reversed(store.audit_events(target="nightly")))
    assert [e.action for e in events] == ["schedule.create", "schedule.update", "schedule.disable"]
    assert events[1].details is not None
    assert events[1].details["previous"] == {"cron": "30 1 * * *", "timezone": "America/New_York"}


# -- catch-up policies -------------------------------------------------------------------------

T0 = datetime(2026, 6, 1, 0, 30, tzinfo=UTC)


def _hourly_defs(seen: list[Any]) -> Definitions:
    @asset(partitions=HourlyPartitions("2026-01-01T00:00", timezone="UTC"))
    def metrics(context: Any) -> int:
        seen.append(context.partition)
        return 1

    return Definitions([metrics])


def _hourly(catch_up: CatchUp) -> Schedule:
    # Each fire materializes the hour that just ended.
    return Schedule(
        "hourly",
        "0 * * * *",
        ("metrics",),
        partition=lambda fire: fire - timedelta(hours=1),
        catch_up=catch_up,
    )


async def _down_for(
    store: MetadataStore, catch_up: CatchUp, hours: int, seen: list[Any]
) -> Scheduler:
    """Register at T0, be down ``hours`` (+30 min), then come back with ``catch_up``."""
    defs = _hourly_defs(seen)
    first = Scheduler(
        defs, store=store, schedules=[_hourly(catch_up)], sensors=[], clock=clock_at(T0)
    )
    assert await first.run_once() == []  # nothing due yet; next fire persisted
    back = clock_at(T0 + timedelta(hours=hours))
    again = Scheduler(defs, store=store, schedules=[_hourly(catch_up)], sensors=[], clock=back)
    await again.run_once()
    return again


async def test_catch_up_all_runs_every_missed_fire_oldest_first(store: MetadataStore) -> None:
    seen: list[Any] = []
    runner = await _down_for(store, "all", 5, seen)
    hours = [datetime(2026, 6, 1, h, tzinfo=UTC) for h in range(5)]
    assert [r.partition for r in runner.records] == [h.isoformat() for h in hours]
    assert [p.astimezone(UTC) for p in seen] == hours
    saved = store.get_schedule("hourly")
    assert saved is not None
    assert saved.last_fired_at == datetime(2026, 6, 1, 5, tzinfo=UTC)
    assert saved.next_fire_at == datetime(2026, 6, 1, 6, tzinfo=UTC)
    assert store.audit_events(action="schedule.skip") == []


async def test_catch_up_latest_runs_only_the_newest(store: MetadataStore) -> None:
    seen: list[Any] = []
    runner = await _down_for(store, "latest", 5, seen)
    assert [p.astimezone(UTC) for p in seen] == [datetime(2026, 6, 1, 4, tzinfo=UTC)]
    assert len(runner.records) == 1
    (skip,) = store.audit_events(action="schedule.skip")
    assert skip.details is not None
    assert skip.details["skipped"] == 4
    saved = store.get_schedule("hourly")
    assert saved is not None
    assert saved.next_fire_at == datetime(2026, 6, 1, 6, tzinfo=UTC)


async def test_catch_up_skip_runs_none_of_the_missed(store: MetadataStore) -> None:
    seen: list[Any] = []
    runner = await _down_for(store, "skip", 5, seen)
    assert seen == []
    assert runner.records == []
    (skip,) = store.audit_events(action="schedule.skip")
    assert skip.details is not None
    assert skip.details["skipped"] == 5
    saved = store.get_schedule("hourly")
    assert saved is not None
    assert saved.last_fired_at is None  # skipped fires are not recorded as fired
    assert saved.next_fire_at == datetime(2026, 6, 1, 6, tzinfo=UTC)


async def test_catch_up_skip_still_runs_a_fire_that_is_on_time(store: MetadataStore) -> None:
    seen: list[Any] = []
    defs = _hourly_defs(seen)
    clock = clock_at(T0)
    runner = Scheduler(defs, store=store, schedules=[_hourly("skip")], sensors=[], clock=clock)
    await runner.run_once()
    advance_to(clock, datetime(2026, 6, 1, 1, 0, 10, tzinfo=UTC))  # 10 s late: within grace
    assert [r.status for r in await runner.run_once()] == [Status.SUCCESS]
    assert [p.astimezone(UTC) for p in seen] == [datetime(2026, 6, 1, 0, tzinfo=UTC)]


async def test_catch_up_all_is_capped(store: MetadataStore) -> None:
    seen: list[Any] = []
    runner = await _down_for(store, "all", MAX_CATCH_UP + 20, seen)
    assert len(runner.records) == MAX_CATCH_UP
    assert all(r.status is Status.SUCCESS for r in runner.records)
    (skip,) = store.audit_events(action="schedule.skip")
    assert skip.details is not None
    assert skip.details["capped"] is True
    newest = T0 + timedelta(hours=MAX_CATCH_UP + 20) - timedelta(minutes=30)
    assert seen[-1].astimezone(UTC) == newest - timedelta(hours=1)


# -- failures ------------------------------------------------------------------------------------


async def test_a_failing_partition_function_is_recorded_and_the_schedule_moves_on(
    store: MetadataStore,
) -> None:
    defs = _hourly_defs([])

    def broken(fire: datetime) -> datetime:
        raise ValueError("no partition for you")

    item = Schedule("hourly", "0 * * * *", ("metrics",), partition=broken)
    clock = clock_at(T0)
    runner = Scheduler(defs, store=store, schedules=[item], sensors=[], clock=clock)
    await runner.run_once()
    advance_to(clock, datetime(2026, 6, 1, 1, tzinfo=UTC))
    (record,) = await runner.run_once()
    assert record.status is Status.FAILED
    assert "no partition for you" in (record.error or "")
    run = store.get_run(record.run_id)
    assert run is not None
    assert run.status is Status.FAILED
    assert "no partition for you" in (run.error or "")
    saved = store.get_schedule("hourly")
    assert saved is not None
    assert saved.next_fire_at == datetime(2026, 6, 1, 2, tzinfo=UTC)


async def test_a_failing_asset_fails_its_run_but_not_the_scheduler(store: MetadataStore) -> None:
    @asset
    def flaky() -> int:
        raise RuntimeError("upstream API down")

    clock = clock_at(T0)
    item = Schedule("every_hour", "0 * * * *", ("flaky",))
    runner = Scheduler(Definitions([flaky]), store=store, schedules=[item], sensors=[], clock=clock)
    task = asyncio.create_task(runner.run())
    try:
        for hour in (1, 2):
            await until(lambda: clock.sleepers >= 2, "the schedule to sleep")
            advance_to(clock, datetime(2026, 6, 1, hour, tzinfo=UTC))
            await until(lambda h=hour: len(runner.records) == h, f"fire {hour}")  # type: ignore[misc]
    finally:
        runner.stop()
        await task
    assert [r.status for r in runner.records] == [Status.FAILED, Status.FAILED]
    run = store.get_run(runner.records[0].run_id)
    assert run is not None
    assert run.status is Status.FAILED


def test_unknown_targets_are_refused_at_start(store: MetadataStore) -> None:
    item = Schedule("nightly", "0 1 * * *", ("nope",))
    with pytest.raises(
        AssetDefinitionError, match="schedule 'nightly' targets unknown asset 'nope'"
    ):
        Scheduler(Definitions([]), store=store, schedules=[item], sensors=[])


async def test_the_scheduler_expires_approvals_on_its_clock(store: MetadataStore) -> None:
    @asset
    def gated(context: Any) -> int:
        raise WaitForApproval("ok?", timeout=60)

    defs = Definitions([gated])
    waiting = await materialize_async("gated", definitions=defs, store=store)
    assert waiting.approval_id is not None
    soon = clock_at(datetime.now(UTC) + timedelta(seconds=30))
    assert await Scheduler(defs, store=store, schedules=[], sensors=[], clock=soon).run_once() == []
    pending = store.get_approval(waiting.approval_id)
    assert pending is not None
    assert pending.status.value == "pending"

    later = clock_at(datetime.now(UTC) + timedelta(minutes=5))
    await Scheduler(defs, store=store, schedules=[], sensors=[], clock=later).run_once()
    expired = store.get_approval(waiting.approval_id)
    assert expired is not None
    assert expired.status.value == "expired"
    failed = store.latest_materialization("gated")
    assert failed is not None
    assert failed.status is Status.FAILED
    assert failed.error == "approval expired"
