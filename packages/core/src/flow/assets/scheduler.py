"""The scheduler: schedules, polling sensors, source sensors and approval expiry in one loop.

:meth:`Scheduler.run` runs everything concurrently in one task group until
asked to stop; a failing schedule or sensor is logged and recorded (on its run,
or as a ``sensor.error``/``schedule.error`` audit event) and never stops the
loop. On stop (or SIGINT/SIGTERM with :meth:`Scheduler.serve`) the loops are
cancelled, watchers closed, in-flight materializations get ``shutdown_grace``
seconds to finish, and runs still unfinished after that are marked failed.

Events on :mod:`flow.events`: ``scheduler.started``, ``scheduler.run_finished``
(``record=`` a :class:`TickRecord`), ``scheduler.stopped``, and the source
sensors' ``scheduler.source_watching``/``scheduler.source_changed``.

Time comes from an injectable :class:`~flow.clock.Clock`, so tests drive it
with a :class:`~flow.clock.FakeClock`. ``flow scheduler`` is the CLI around it.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import AssetDefinitionError
from ..events import emit
from ..live.change import Change
from ..store import MetadataStore, Status
from .approvals import expire_due
from .partitions import PartitionKey, describe_key
from .schedules import MAX_CATCH_UP, Schedule, default_schedules
from .sensors import (
    CURSOR_NAMESPACE,
    Sensor,
    SensorContext,
    SourceSensor,
    default_sensors,
    source_sensors,
    watch_source,
)

if TYPE_CHECKING:
    from ..live.watcher import Watcher
    from .registry import Definitions
    from .results import RunResult

__all__ = ["Scheduler", "TickRecord"]

log = logging.getLogger("flow.scheduler")

#: Who the audit log says changed schedules and fired runs.
SCHEDULER_ACTOR = "scheduler"
SHUTDOWN_ERROR = "the scheduler shut down before the run finished"


@dataclass(frozen=True, slots=True)
class TickRecord:
    """A run the scheduler started: by what (``schedule``, ``sensor``, ``source``), its outcome."""

    trigger: str
    name: str
    run_id: str
    targets: tuple[str, ...]
    partition: str | None
    status: Status
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Request:
    """A run to start: what fired it (trigger and name), its targets, partition and run tags."""

    trigger: str
    name: str
    targets: tuple[str, ...]
    partition: PartitionKey | None
    tags: dict[str, str]


class _Stopped(Exception):
    """Raised inside the task group to end :meth:`Scheduler.run` (never escapes)."""


@dataclass
class _State:
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    hurry: asyncio.Event = field(default_factory=asyncio.Event)
    inflight: set[asyncio.Task[TickRecord]] = field(default_factory=set)
    runs: set[str] = field(default_factory=set)
    records: list[TickRecord] = field(default_factory=list)


class Scheduler:
    """Runs schedules, polling sensors and source sensors against one metadata store.

    ``schedules``/``sensors`` default to the registered ones (``@schedule``,
    ``@sensor``); ``sources`` default to one source sensor per URI the assets
    declare. Every target must be an asset in ``definitions``.
    """

    def __init__(
        self,
        definitions: Definitions,
        *,
        store: MetadataStore,
        schedules: Iterable[Schedule] | None = None,
        sensors: Iterable[Sensor] | None = None,
        sources: Iterable[SourceSensor] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        parallel: int = 4,
        expire_every: float = 30.0,
        shutdown_grace: float = 30.0,
        open_watcher: Callable[[str], Watcher] | None = None,
    ) -> None:
        self.definitions = definitions
        self.store = store
        self.schedules = list(default_schedules().snapshot() if schedules is None else schedules)
        self.sensors = list(default_sensors().snapshot() if sensors is None else sensors)
        self.sources = list(source_sensors(definitions) if sources is None else sources)
        self.clock = clock
        self.parallel = parallel
        self.expire_every = expire_every
        self.shutdown_grace = shutdown_grace
        self.open_watcher = open_watcher
        self._state = _State()
        self._last_evaluated: dict[str, datetime] = {}
        self._check_targets()

    def _check_targets(self) -> None:
        named: list[tuple[str, tuple[str, ...]]] = [
            *((f"schedule {s.name!r}", s.targets) for s in self.schedules),
            *((f"sensor {s.name!r}", s.targets) for s in self.sensors),
            *((s.name, s.targets) for s in self.sources),
        ]
        for what, targets in named:
            for key in targets:
                if key not in self.definitions.assets:
                    known = ", ".join(sorted(self.definitions.assets)[:10]) or "none loaded"
                    raise AssetDefinitionError(
                        f"{what} targets unknown asset {key!r} (known: {known}); "
                        "load the module that defines it (--module) or fix the target"
                    )

    # -- public API ------------------------------------------------------------------------

    def now(self) -> datetime:
        """The current time on the scheduler's clock (aware UTC)."""
        return datetime.fromtimestamp(self.clock.time(), UTC)

    @property
    def records(self) -> list[TickRecord]:
        """The runs started so far (finished ones carry their final status)."""
        return list(self._state.records)

    def stop(self) -> None:
        """Ask :meth:`run` to stop; a second call skips waiting for in-flight runs."""
        if self._state.stop.is_set():
            self._state.hurry.set()
        self._state.stop.set()

    async def run(self) -> None:
        """Run until :meth:`stop`, then shut down cleanly (see the module docstring)."""
        await self.sync_schedules()
        try:
            async with asyncio.TaskGroup() as group:
                for item in self.schedules:
                    if item.enabled:
                        group.create_task(self._guard(item.name, self._schedule_loop, item))
                for probe in self.sensors:
                    if probe.enabled:
                        group.create_task(self._guard(probe.name, self._sensor_loop, probe))
                for source in self.sources:
                    group.create_task(self._guard(source.name, self._source_loop, source))
                group.create_task(self._guard("approvals", self._expiry_loop))
                group.create_task(self._stopper())
                emit("scheduler.started", "scheduler", store=self.store.url)
        except* _Stopped:
            pass
        finally:
            await self._drain()
            emit("scheduler.stopped", "scheduler", runs=len(self._state.records))

    async def serve(self) -> None:
        """:meth:`run` with SIGINT and SIGTERM asking it to stop (twice: stop at once)."""
        loop = asyncio.get_running_loop()
        signals = (signal.SIGINT, signal.SIGTERM)
        for sig in signals:
            loop.add_signal_handler(sig, self.stop)
        try:
            await self.run()
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)

    async def run_once(self) -> list[TickRecord]:
        """One pass: fire due schedules, evaluate each sensor once, expire approvals.

        Waits for the runs it starts and returns them. Source sensors are not
        involved (they react to changes while :meth:`run` is running).
        """
        await self.sync_schedules()
        before = len(self._state.records)
        for item in self.schedules:
            if item.enabled:
                await self._safely(item.name, self._fire_due, item)
        for probe in self.sensors:
            if probe.enabled:
                await self._safely(probe.name, self._evaluate, probe)
        await self._safely("approvals", self._expire)
        if self._state.inflight:
            await asyncio.wait(set(self._state.inflight))
        return self._state.records[before:]

    async def sync_schedules(self) -> None:
        """Persist each schedule's definition and next fire; audit what changed."""
        now = self.now()
        for item in self.schedules:
            await asyncio.to_thread(self._sync_one, item, now)

    # -- schedules -------------------------------------------------------------------------

    def _sync_one(self, item: Schedule, now: datetime) -> None:
        saved = self.store.get_schedule(item.name)
        details: dict[str, Any] = {"cron": item.cron, "timezone": item.timezone}
        if saved is None:
            action, next_at = "schedule.create", item.next_fire(now)
        elif (saved.cron, saved.timezone) != (item.cron, item.timezone):
            action, next_at = "schedule.update", item.next_fire(now)
            details["previous"] = {"cron": saved.cron, "timezone": saved.timezone}
        elif saved.enabled != item.enabled:
            action = "schedule.enable" if item.enabled else "schedule.disable"
            next_at = saved.next_fire_at or item.next_fire(now)
        elif saved.next_fire_at is None:
            action, next_at = "schedule.update", item.next_fire(now)
        else:
            return  # unchanged: keep the persisted next fire (that is what catch-up uses)
        self.store.save_schedule(
            item.name,
            cron=item.cron,
            timezone=item.timezone,
            next_fire_at=next_at,
            enabled=item.enabled,
        )
        details["next_fire_at"] = next_at.isoformat()
        self.store.audit(action, item.name, actor=SCHEDULER_ACTOR, details=details)
        log.info("%s %s: next fire %s", action, item.name, next_at.isoformat())

    async def _schedule_loop(self, item: Schedule) -> None:
        while True:
            saved = await asyncio.to_thread(self.store.get_schedule, item.name)
            next_at = saved.next_fire_at if saved is not None else None
            if next_at is None:
                await self.sync_schedules()
                continue
            wait = (next_at - self.now()).total_seconds()
            if wait > 0:
                # Capped so that a wall clock that jumps (suspend, NTP) is noticed soon.
                await self.clock.sleep(min(wait, 60.0))
                continue
            await self._fire_due(item)

    async def _fire_due(self, item: Schedule) -> None:
        """Run the fires due now as the schedule's catch-up policy says; persist progress."""
        now = self.now()
        saved = await asyncio.to_thread(self.store.get_schedule, item.name)
        if saved is None or saved.next_fire_at is None or saved.next_fire_at > now:
            return
        fires = item.fires_between(saved.next_fire_at, now)
        run, skipped = _plan_fires(item, fires, now)
        for fire in run:
            await self._fire(item, fire)
        if skipped:
            await asyncio.to_thread(self._record_skips, item, skipped, run, fires)
        if not fires or not run or run[-1] != fires[-1]:
            after = fires[-1] if fires else now
            await asyncio.to_thread(
                self.store.save_schedule,
                item.name,
                cron=item.cron,
                timezone=item.timezone,
                next_fire_at=item.next_fire(after),
                enabled=item.enabled,
            )

    def _record_skips(
        self, item: Schedule, skipped: list[datetime], run: list[datetime], fires: list[datetime]
    ) -> None:
        details = {
            "policy": item.catch_up,
            "skipped": len(skipped),
            "first": skipped[0].isoformat(),
            "last": skipped[-1].isoformat(),
            "capped": len(fires) > MAX_CATCH_UP,
            "ran": len(run),
        }
        self.store.audit("schedule.skip", item.name, actor=SCHEDULER_ACTOR, details=details)
        log.info("schedule %s: skipped %d missed fire(s)", item.name, len(skipped))

    async def _fire(self, item: Schedule, fire: datetime) -> None:
        tags = {"schedule": item.name, "fire": fire.isoformat()}
        try:
            partition = item.partition_for(fire)
        except Exception as exc:
            request = _Request("schedule", item.name, item.targets, None, tags)
            run_id = await asyncio.to_thread(self._new_run, request)
            await asyncio.to_thread(self._fail_run, run_id, f"partition function: {exc!r}")
            self._record(request, run_id, exc)
        else:
            await self._launch(_Request("schedule", item.name, item.targets, partition, tags))
        await asyncio.to_thread(
            self.store.record_fire, item.name, fired_at=fire, next_fire_at=item.next_fire(fire)
        )

    # -- sensors ---------------------------------------------------------------------------

    async def _sensor_loop(self, probe: Sensor) -> None:
        while True:
            await self._safely(probe.name, self._evaluate, probe)
            await self.clock.sleep(probe.interval)

    async def _evaluate(self, probe: Sensor) -> None:
        cursor = await asyncio.to_thread(self.store.get_watermark, CURSOR_NAMESPACE, probe.name)
        context = SensorContext(
            probe.name, self.now(), cursor, self._last_evaluated.get(probe.name)
        )
        self._last_evaluated[probe.name] = context.now
        try:
            requests = await probe.evaluate(context)
        except Exception as exc:
            await self._audit_error("sensor.error", probe.name, exc)
            return
        if context.changed and context.cursor is not None:
            await asyncio.to_thread(
                self.store.set_watermark, CURSOR_NAMESPACE, probe.name, context.cursor
            )
        tags = {"sensor": probe.name}
        launched = [
            self._start(
                _Request("sensor", probe.name, r.targets or probe.targets, r.partition, tags)
            )
            for r in requests
        ]
        if launched:
            await asyncio.shield(asyncio.gather(*launched))

    async def _source_loop(self, source: SourceSensor) -> None:
        async def changed(sensor: SourceSensor, change: Change) -> None:
            tags = {"source": sensor.name, "revision": change.revision or ""}
            await self._launch(_Request("source", sensor.name, sensor.targets, None, tags))

        async def failed(sensor: SourceSensor, error: BaseException) -> None:
            await self._audit_error("sensor.error", sensor.name, error)

        await watch_source(
            source, changed, clock=self.clock, open_watcher=self.open_watcher, on_error=failed
        )

    # -- approvals -------------------------------------------------------------------------

    async def _expiry_loop(self) -> None:
        while True:
            await self._safely("approvals", self._expire)
            await self.clock.sleep(self.expire_every)

    async def _expire(self) -> None:
        expired = await asyncio.to_thread(expire_due, self.now(), store=self.store)
        for item in expired:
            log.info("approval %d (%s) expired", item.id, item.asset_key)

    # -- runs ------------------------------------------------------------------------------

    async def _launch(self, request: _Request) -> TickRecord:
        """Start a run and wait for it; cancelling the caller leaves the run to the drain."""
        return await asyncio.shield(self._start(request))

    def _start(self, request: _Request) -> asyncio.Task[TickRecord]:
        task = asyncio.ensure_future(self._materialize(request))
        self._state.inflight.add(task)
        task.add_done_callback(self._state.inflight.discard)
        return task

    async def _materialize(self, request: _Request) -> TickRecord:
        from . import materialize_all_async

        run_id = await asyncio.to_thread(self._new_run, request)
        self._state.runs.add(run_id)
        log.info(
            "%s %s: run %s of %s%s",
            request.trigger,
            request.name,
            run_id,
            ",".join(request.targets),
            "" if request.partition is None else f" [{describe_key(request.partition)}]",
        )
        try:
            result: RunResult = await materialize_all_async(
                list(request.targets),
                partition=request.partition,
                parallel=self.parallel,
                definitions=self.definitions,
                store=self.store,
                run_id=run_id,
            )
        except Exception as exc:
            await asyncio.to_thread(self._fail_run, run_id, f"{type(exc).__name__}: {exc}")
            self._state.runs.discard(run_id)
            return self._record(request, run_id, exc)
        # (A cancelled run stays in ``runs``: the drain marks it failed.)
        self._state.runs.discard(run_id)
        errors = [f"{r.label}: {r.error}" for r in result.results if r.error]
        record = self._record(request, run_id, None, result.status)
        if errors:
            log.warning(
                "%s %s: run %s %s: %s",
                request.trigger,
                request.name,
                run_id,
                result.status.value,
                "; ".join(errors[:5]),
            )
        return record

    def _new_run(self, request: _Request) -> str:
        run_id = uuid.uuid4().hex
        # Created here (with tags saying what fired it); materialize_all keeps an existing run.
        return self.store.create_run(
            kind=request.trigger,
            target=",".join(request.targets),
            run_id=run_id,
            tags=request.tags,
        )

    def _fail_run(self, run_id: str, error: str) -> None:
        run = self.store.get_run(run_id)
        if run is not None and run.status is Status.RUNNING:
            self.store.finish_run(run_id, Status.FAILED, error)
        for stuck in self.store.list_materializations(run_id=run_id, status=Status.RUNNING):
            self.store.finish_materialization(stuck.id, status=Status.FAILED, error=error)

    def _record(
        self,
        request: _Request,
        run_id: str,
        error: BaseException | None,
        status: Status = Status.FAILED,
    ) -> TickRecord:
        trigger, name, partition = request.trigger, request.name, request.partition
        text = None if partition is None else describe_key(partition)
        message = None if error is None else f"{type(error).__name__}: {error}"
        if error is not None:
            log.error("%s %s: run %s failed: %s", trigger, name, run_id, message)
        record = TickRecord(trigger, name, run_id, request.targets, text, status, message)
        self._state.records.append(record)
        emit("scheduler.run_finished", name, record=record)
        return record

    # -- supervision -----------------------------------------------------------------------

    async def _guard(self, name: str, loop: Callable[..., Awaitable[None]], *args: Any) -> None:
        """Run ``loop`` forever: an unexpected error is logged, recorded, and the loop restarts."""
        delays = _restart_delays()
        while True:
            try:
                await loop(*args)
                return
            except Exception as exc:
                await self._audit_error("scheduler.error", name, exc)
                await self.clock.sleep(next(delays))

    async def _safely(self, name: str, step: Callable[..., Awaitable[None]], *args: Any) -> None:
        try:
            await step(*args)
        except Exception as exc:
            await self._audit_error("scheduler.error", name, exc)

    async def _audit_error(self, action: str, name: str, error: BaseException) -> None:
        text = f"{type(error).__name__}: {error}"
        log.error("%s: %s", name, text)
        try:
            await asyncio.to_thread(
                self.store.audit, action, name, actor=SCHEDULER_ACTOR, details={"error": text}
            )
        except Exception:  # the store itself failing must not stop the loop either
            log.exception("%s: recording the error failed", name)

    async def _stopper(self) -> None:
        await self._state.stop.wait()
        raise _Stopped

    async def _drain(self) -> None:
        """Let in-flight runs finish (``shutdown_grace``), then cancel and fail the rest."""
        pending = set(self._state.inflight)
        if pending:
            log.info(
                "waiting up to %.0fs for %d run(s) to finish", self.shutdown_grace, len(pending)
            )
            await _wait_any(pending, self._state.hurry, self.clock, self.shutdown_grace)
        pending = {t for t in self._state.inflight if not t.done()}
        if pending:
            log.warning(
                "%d run(s) still running after the grace period: cancelling them; "
                "they will be marked failed",
                len(pending),
            )
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        for run_id in list(self._state.runs):
            await asyncio.to_thread(self._fail_run, run_id, SHUTDOWN_ERROR)
        self._state.runs.clear()


def _plan_fires(
    item: Schedule, fires: list[datetime], now: datetime
) -> tuple[list[datetime], list[datetime]]:
    """Split due fires into those to run and those to skip, by the catch-up policy."""
    if not fires:
        return [], []
    if item.catch_up == "latest":
        return fires[-1:], fires[:-1]
    if item.catch_up == "all":
        return fires[-MAX_CATCH_UP:], fires[:-MAX_CATCH_UP]
    on_time = [f for f in fires if now - f <= item.grace]
    return on_time, [f for f in fires if now - f > item.grace]


def _restart_delays() -> Any:
    from ..pipeline import backoff

    return backoff(1.0, max_delay=60.0).delays()


async def _wait_any(
    tasks: set[asyncio.Task[TickRecord]], hurry: asyncio.Event, clock: Clock, seconds: float
) -> None:
    """Wait until every task is done, ``hurry`` is set, or ``seconds`` pass on ``clock``."""
    everything = asyncio.ensure_future(asyncio.wait(tasks))
    hurried = asyncio.ensure_future(hurry.wait())
    timer = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({everything, hurried, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (everything, hurried, timer):
            waiter.cancel()
        await asyncio.gather(everything, hurried, timer, return_exceptions=True)
