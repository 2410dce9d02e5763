"""Sensors: polling functions and source watchers that decide when to materialize assets.

* A **polling sensor** (``@sensor(interval=..., targets=[...])``) is a function
  called every ``interval`` seconds with a :class:`SensorContext`. It returns
  what to materialize: ``False``/``None`` (nothing), ``True`` (its targets,
  unpartitioned), a :class:`RunRequest`, a partition key, or a list of
  partition keys and run requests. It may keep a ``cursor`` (a string persisted
  in the metadata store between evaluations and restarts).
* A **source sensor** joins live configuration and assets: an asset declaring
  ``@asset(sources=["file:…", "redis://…"])`` is re-materialized when a watcher
  on that URI reports a change. Bursts are debounced (trailing edge, latest
  wins, capped by ``max_wait``); the first (initial) value a watcher reports is
  not a change unless ``trigger_initial``; a value equal to the last one acted
  on is ignored (e.g. a re-read after a reconnect). Events:
  ``scheduler.source_watching`` when a watcher delivered its first value,
  ``scheduler.source_changed`` for each change acted on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import AssetDefinitionError
from ..events import emit
from ..live.change import Change
from ..live.uri import redact
from ..pipeline import backoff
from ._named import NamedRegistry
from .keys import check_key, check_targets
from .partitions import PartitionKey

if TYPE_CHECKING:
    from ..live.watcher import Watcher
    from .registry import Definitions

__all__ = [
    "RunRequest",
    "Sensor",
    "SensorContext",
    "SourceSensor",
    "default_sensors",
    "register_sensor",
    "sensor",
    "source_sensors",
    "watch_source",
]

log = logging.getLogger("flow.scheduler")

#: The metadata-store watermark namespace that holds sensor cursors.
CURSOR_NAMESPACE = "flow.sensor"


@dataclass(frozen=True, slots=True)
class RunRequest:
    """Materialize ``targets`` (None: the sensor's) for ``partition`` (None: unpartitioned)."""

    targets: tuple[str, ...] | None = None
    partition: PartitionKey | None = None


class SensorContext:
    """What a polling sensor function receives: its name, the time, and its cursor."""

    __slots__ = ("_cursor", "changed", "last_evaluated", "name", "now")

    def __init__(
        self, name: str, now: datetime, cursor: str | None, last_evaluated: datetime | None
    ) -> None:
        #: The sensor's name.
        self.name = name
        #: When this evaluation started (aware UTC, from the scheduler's clock).
        self.now = now
        #: When the previous evaluation in this process started (None the first time).
        self.last_evaluated = last_evaluated
        #: True once :meth:`update_cursor` stored a different value.
        self.changed = False
        self._cursor = cursor

    @property
    def cursor(self) -> str | None:
        """The string the sensor kept last time (persisted in the metadata store)."""
        return self._cursor

    def update_cursor(self, value: str | None) -> None:
        """Keep ``value`` for the next evaluation (saved when this one succeeds)."""
        if value is not None and not isinstance(value, str):
            raise TypeError(f"sensor {self.name!r}: a cursor is a string, got {value!r}")
        if value != self._cursor:
            self._cursor = value
            self.changed = True


SensorFn = Callable[[SensorContext], Any]


@dataclass(frozen=True, eq=False)
class Sensor:
    """A polling sensor: ``fn(context)`` every ``interval`` seconds decides what to materialize."""

    name: str
    fn: SensorFn
    targets: tuple[str, ...]
    interval: float = 30.0
    enabled: bool = True
    description: str | None = None

    def __post_init__(self) -> None:
        where = f"sensor {self.name!r}"
        check_key(self.name, "sensor name")
        if not callable(self.fn):
            raise AssetDefinitionError(f"{where}: fn must be a function, got {self.fn!r}")
        object.__setattr__(self, "targets", check_targets(self.targets, where))
        if isinstance(self.interval, bool) or not isinstance(self.interval, (int, float)):
            raise AssetDefinitionError(f"{where}: interval is seconds, got {self.interval!r}")
        if not self.interval > 0:
            raise AssetDefinitionError(f"{where}: interval must be > 0 seconds")

    async def evaluate(self, context: SensorContext) -> list[RunRequest]:
        """Call the function (sync ones in a worker thread) and normalize its answer."""
        if inspect.iscoroutinefunction(self.fn):
            answer = await self.fn(context)
        else:
            answer = await asyncio.to_thread(self.fn, context)
            if inspect.isawaitable(answer):
                answer = await answer
        return self.requests(answer)

    def requests(self, answer: Any) -> list[RunRequest]:
        """The run requests an answer of the sensor function stands for."""
        if answer is None or answer is False:
            return []
        if answer is True:
            return [RunRequest(self.targets)]
        items = answer if isinstance(answer, list) else [answer]
        out: list[RunRequest] = []
        for item in items:
            if isinstance(item, RunRequest):
                targets = self.targets if item.targets is None else item.targets
                out.append(
                    RunRequest(check_targets(targets, f"sensor {self.name!r}"), item.partition)
                )
            elif item is None or isinstance(item, bool):
                raise AssetDefinitionError(
                    f"sensor {self.name!r} returned {answer!r}: a list holds partition keys or "
                    "RunRequests, not None/True/False"
                )
            else:
                out.append(RunRequest(self.targets, item))
        return out


class SensorRegistry(NamedRegistry["Sensor"]):
    """Polling sensors by name; ``@sensor`` adds to the default one. Thread-safe."""


_default = SensorRegistry()


def default_sensors() -> SensorRegistry:
    """The registry ``@sensor`` and :func:`register_sensor` add to (per process)."""
    return _default


def register_sensor(item: Sensor) -> Sensor:
    """Add ``item`` to the default registry (what ``flow scheduler`` runs); returns it."""
    if not isinstance(item, Sensor):
        raise AssetDefinitionError(f"register_sensor takes a Sensor, got {item!r}")
    return _default.add(item)


def sensor(
    *,
    targets: Iterable[str] | str,
    interval: float = 30.0,
    name: str | None = None,
    enabled: bool = True,
) -> Callable[[SensorFn], Sensor]:
    """Declare ``fn(context)`` as a registered polling sensor (named ``name`` or after ``fn``)::

    @sensor(interval=60, targets=["orders"])
    def new_orders(context: SensorContext) -> bool:
        return inbox_has_files()
    """

    def decorate(fn: SensorFn) -> Sensor:
        label = name if name is not None else getattr(fn, "__name__", None)
        doc = inspect.getdoc(fn)
        made = Sensor(str(label), fn, check_targets(targets, "@sensor"), interval, enabled, doc)
        return register_sensor(made)

    return decorate


# -- source sensors ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceSensor:
    """Re-materialize ``targets`` when the watcher on ``uri`` reports a changed value."""

    uri: str
    targets: tuple[str, ...]
    debounce: float = 0.5
    max_wait: float = 5.0
    trigger_initial: bool = False

    @property
    def name(self) -> str:
        """``source:<uri>`` with credentials masked (used in logs and audit events)."""
        return f"source:{redact(self.uri)}"


def source_sensors(
    definitions: Definitions,
    *,
    debounce: float = 0.5,
    max_wait: float = 5.0,
    trigger_initial: bool = False,
) -> list[SourceSensor]:
    """One :class:`SourceSensor` per URI that assets declare in ``sources=[...]``.

    Assets sharing a URI share one watcher and are re-materialized in one run.
    """
    by_uri: dict[str, list[str]] = {}
    for key in sorted(definitions.assets):
        for uri in definitions.assets[key].sources:
            by_uri.setdefault(uri, []).append(key)
    return [
        SourceSensor(uri, tuple(keys), debounce, max_wait, trigger_initial)
        for uri, keys in sorted(by_uri.items())
    ]


_UNSET: Any = object()
OnChange = Callable[[SourceSensor, Change], Awaitable[None]]
OnError = Callable[[SourceSensor, BaseException], Awaitable[None]]


class _Latest:
    """The newest change not yet acted on (a burst overwrites it: latest wins)."""

    def __init__(self) -> None:
        self.change: Change | None = None
        self.event = asyncio.Event()

    def put(self, change: Change) -> None:
        self.change = change
        self.event.set()

    def take(self) -> Change | None:
        change, self.change = self.change, None
        self.event.clear()
        return change


async def watch_source(
    sensor: SourceSensor,
    on_change: OnChange,
    *,
    clock: Clock = SYSTEM_CLOCK,
    open_watcher: Callable[[str], Watcher] | None = None,
    on_error: OnError | None = None,
) -> None:
    """Watch ``sensor.uri`` until cancelled, awaiting ``on_change`` after each settled change.

    A watcher that fails (or ends) is reported to ``on_error``, closed, and
    reopened after an exponential backoff; a value that changed during the
    outage is then acted on. ``open_watcher`` defaults to
    :func:`flow.live.watcher.open_watcher` (tests pass in-memory watchers).
    """
    if open_watcher is None:
        from ..live.watcher import open_watcher as default_open

        open_watcher = default_open
    retries = backoff(0.5, max_delay=60.0).counter(clock)
    seen: list[bytes | None] = []  # the value last acted on (or the initial one); empty: none
    while True:
        try:
            watcher = open_watcher(sensor.uri)
        except Exception as exc:
            await _report(sensor, on_error, exc)
            await retries.wait()
            continue
        try:
            await _watch_once(sensor, watcher, on_change, clock, seen, retries.reset)
            error: BaseException = ConnectionError(f"{sensor.name}: the watcher stopped")
        except Exception as exc:
            error = _unwrap(exc)
        finally:
            await _close(watcher)
        await _report(sensor, on_error, error)
        await retries.wait()


async def _watch_once(
    sensor: SourceSensor,
    watcher: Watcher,
    on_change: OnChange,
    clock: Clock,
    seen: list[bytes | None],
    healthy: Callable[[], None],
) -> None:
    latest = _Latest()
    ended = asyncio.Event()

    async def pump() -> None:
        first = True
        async for change in watcher.changes():
            healthy()
            if first:
                emit("scheduler.source_watching", sensor.name, targets=sensor.targets)
            if first and not seen:
                seen.append(change.value)
                first = False
                if sensor.trigger_initial:
                    latest.put(change)
                continue
            first = False
            latest.put(change)
        ended.set()

    async def act() -> None:
        while True:
            change = await _settled(latest, clock, sensor.debounce, sensor.max_wait)
            if change is None:
                continue
            if seen and seen[0] == change.value and not sensor.trigger_initial:
                continue  # the same bytes as last time (e.g. re-read after a reconnect)
            seen[:] = [change.value]
            emit("scheduler.source_changed", sensor.name, revision=change.revision)
            await on_change(sensor, change)

    async with asyncio.TaskGroup() as group:
        pumping = group.create_task(pump())
        acting = group.create_task(act())
        await pumping
        # The source ended. A change still settling is not lost: the reopened
        # watcher's first value is compared with the last one acted on.
        acting.cancel()


async def _settled(
    latest: _Latest, clock: Clock, debounce: float, max_wait: float
) -> Change | None:
    """Wait for a change, then for ``debounce`` seconds of quiet (at most ``max_wait``)."""
    await latest.event.wait()
    started = clock.monotonic()
    while True:
        latest.event.clear()
        remaining = min(debounce, started + max_wait - clock.monotonic())
        if remaining <= 0 or not await _wait_event(latest.event, clock, remaining):
            return latest.take()


async def _wait_event(event: asyncio.Event, clock: Clock, seconds: float) -> bool:
    """True when ``event`` is set within ``seconds`` on ``clock``."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    sleeper = asyncio.ensure_future(clock.sleep(seconds))
    try:
        await asyncio.wait({waiter, sleeper}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, sleeper):
            task.cancel()
        await asyncio.gather(waiter, sleeper, return_exceptions=True)
    return event.is_set()


def _unwrap(error: Exception) -> Exception:
    while isinstance(error, ExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    return error


async def _report(sensor: SourceSensor, on_error: OnError | None, error: BaseException) -> None:
    log.warning("%s: %s: %s", sensor.name, type(error).__name__, error)
    if on_error is not None:
        try:
            await on_error(sensor, error)
        except Exception:  # reporting must never stop the watch loop
            log.exception("%s: reporting an error failed", sensor.name)


async def _close(watcher: Watcher) -> None:
    try:
        await watcher.aclose()
    except Exception:  # a watcher that fails to close must not stop the loop
        log.exception("closing a watcher failed")
