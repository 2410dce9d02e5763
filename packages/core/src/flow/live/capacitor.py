"""The Capacitor: watch, decode, validate, apply, commit; keep the last good value.

One change goes through decode → validate → apply (the ``on_change``
callbacks, wrapped by an optional Pipeline) → commit (an atomic swap of
``current``) → events. A failure at any stage leaves ``current`` as it was,
never reaches the callbacks, is recorded in ``errors``, and moves ``health``
to ``DEGRADED`` (or ``EMPTY`` when nothing valid was ever committed).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from ..clock import SYSTEM_CLOCK, Clock
from ..errors import (
    ApplyError,
    CapacitorError,
    CodecError,
    SourceError,
    StartupTimeout,
    ValidationFailed,
)
from ..events import EventBus, bus
from ..pipeline import backoff
from ._background import LoopThread
from ._source import Source, open_source
from .change import Change
from .codecs import Codec
from .health import Counters, ErrorRecord, Health, Stage
from .uri import SourceURI
from .watcher import Watcher

__all__ = ["Callback", "Capacitor"]

logger = logging.getLogger("flow.capacitor")

T = TypeVar("T")
Callback = Callable[[Any, Any], Awaitable[None] | None]
Reducer = Callable[[Sequence[Any]], Any]
_RESUBSCRIBE = backoff(0.05, max_delay=5.0)
_CHANGE_RECEIVED, _APPLIED = "capacitor.change_received", "capacitor.applied"


class Capacitor(Generic[T]):
    """Keeps the last good, validated value of a live source.

    ``source`` is a URI (its scheme picks the watcher plugin) or a watcher.
    ``model`` is a pydantic model or any ``TypeAdapter``-able type (None: no
    validation). ``on_change`` callbacks receive ``(previous, current)``.
    With ``debounce`` > 0 the first value is applied at once and later ones
    trailing-edge (latest wins), but never later than ``max_wait`` after the
    first unapplied change. ``sync=True`` processes only when :meth:`process`
    is awaited (deterministic tests, with :class:`~flow.FakeClock`).
    """

    def __init__(
        self,
        source: str | SourceURI | Watcher,
        *,
        model: Any = None,
        codec: str | Codec | None = None,
        on_change: Callback | Iterable[Callback] | None = None,
        debounce: float = 0.0,
        max_wait: float | None = None,
        startup_timeout: float | None = 10.0,
        pipeline: Callable[..., Awaitable[Any]] | None = None,
        clock: Clock = SYSTEM_CLOCK,
        sync: bool = False,
        name: str | None = None,
        events: EventBus = bus,
        error_history: int = 50,
    ) -> None:
        self._init_engine(
            [open_source(source, codec)],
            model=model,
            on_change=on_change,
            debounce=debounce,
            max_wait=max_wait,
            startup_timeout=startup_timeout,
            pipeline=pipeline,
            clock=clock,
            sync=sync,
            name=name,
            events=events,
            error_history=error_history,
            reducer=None,
            missing_is_error=True,
        )

    def _init_engine(
        self,
        sources: list[Source],
        *,
        model: Any,
        on_change: Callback | Iterable[Callback] | None,
        debounce: float,
        max_wait: float | None,
        startup_timeout: float | None,
        pipeline: Callable[..., Awaitable[Any]] | None,
        clock: Clock,
        sync: bool,
        name: str | None,
        events: EventBus,
        error_history: int,
        reducer: Reducer | None,
        missing_is_error: bool,
    ) -> None:
        from ._validate import Validator

        if debounce < 0 or (max_wait is not None and max_wait < debounce):
            raise ValueError("debounce must be >= 0 and max_wait (when set) >= debounce")
        self._sources = _unique_labels(sources)
        self._validator = Validator(model)
        self._validator.prepare()
        self._callbacks: list[Callback] = _as_list(on_change)
        self._debounce, self._max_wait = debounce, max_wait
        self._startup_timeout = startup_timeout
        self._pipeline, self._clock, self._sync = pipeline, clock, sync
        self.name = name or " + ".join(s.label for s in sources)
        self._events, self._reducer = events, reducer
        self._missing_is_error = missing_is_error
        self._health = Health.LOADING
        self._current: T | None = None
        self._committed = False
        self._errors: deque[ErrorRecord] = deque(maxlen=error_history)
        self.counters = Counters()
        self._state = "new"  # new -> running -> closed
        self._tasks: list[asyncio.Task[None]] = []
        self._wake: asyncio.Event | None = None
        self._outcome: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._pending_since: float | None = None
        self._last_received = 0.0
        self._first_outcome = False
        self._startup_error: BaseException | None = None
        self._fast_json = len(sources) == 1 and sources[0].is_json and self._validator.active
        self._thread: LoopThread | None = None
        self._waiters = 0
        self._all_reported = False
        self._wants = events.has_subscribers
        # One source, no debounce: only its reader processes, so no lock is needed.
        self._inline = len(sources) == 1 and debounce == 0 and not sync

    # -- what users read ---------------------------------------------------------------------

    @property
    def current(self) -> T | None:
        """The last good value (None while nothing valid was committed). Safe from any thread."""
        return self._current

    @property
    def health(self) -> Health:
        """``LOADING``, ``HEALTHY``, ``DEGRADED`` or ``EMPTY``."""
        return self._health

    @property
    def errors(self) -> list[ErrorRecord]:
        """Recent errors, oldest first (bounded by ``error_history``)."""
        return list(self._errors)

    @property
    def running(self) -> bool:
        """Whether the capacitor is started and not yet closed."""
        return self._state == "running"

    def on_change(self, callback: Callback) -> Callable[[], None]:
        """Add a ``callback(previous, current)``; returns a function that removes it."""
        self._callbacks.append(callback)

        def remove() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return remove

    # -- life cycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> Capacitor[T]:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def start(self) -> None:
        """Start watching and wait for the first outcome (up to ``startup_timeout``).

        Raises :class:`StartupTimeout` when no first outcome arrives in time, and
        a source's :class:`SourceError` when it fails permanently before that.
        """
        if self._state != "new":
            raise CapacitorError(f"capacitor {self.name} was already started; create a new one")
        self._state = "running"
        self._wake, self._outcome, self._lock = asyncio.Event(), asyncio.Event(), asyncio.Lock()
        self._emit("started")
        for source in self._sources:
            self._tasks.append(
                asyncio.create_task(self._read(source), name=f"flow-read:{source.label}")
            )
        if not self._sync and self._debounce > 0:
            self._tasks.append(
                asyncio.create_task(self._debouncer(), name=f"flow-debounce:{self.name}")
            )
        if self._sync:
            return
        try:
            await self.wait_for(lambda c: c._first_outcome, timeout=self._startup_timeout)
        except TimeoutError:
            await self.aclose()
            raise StartupTimeout(
                f"{self.name}: no value within startup_timeout={self._startup_timeout}s; "
                "check that the source is reachable, or raise startup_timeout"
            ) from None
        if self._startup_error is not None:
            await self.aclose()
            raise self._startup_error

    async def aclose(self) -> None:
        """Stop watching, apply a still-pending (debounced) value, and release everything."""
        if self._state != "running":
            self._state = "closed"
            return
        self._state = "closing"
        for source in self._sources:
            await _close_quietly(source.watcher)
        readers = self._tasks[: len(self._sources)]
        if readers:
            _, still = await asyncio.wait(readers, timeout=5.0)
            for task in still:
                task.cancel()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if any(s.has_pending for s in self._sources):
            await self._process_now()
        self._state = "closed"
        self._emit("stopped")

    async def process(self) -> bool:
        """Sync mode: take what the watchers have delivered and process it if due.

        Returns True when something was processed. Debounce and ``max_wait``
        are judged on the capacitor's clock (advance a ``FakeClock`` to make a
        trailing-edge value due).
        """
        if not self._sync:
            raise CapacitorError(
                "process() is for sync=True capacitors; others process on their own"
            )
        if self._state != "running":
            raise CapacitorError(f"capacitor {self.name} is not running; await start() first")
        await _let_readers_run(self._sources, self.counters)
        if not self._ready() or self._seconds_until_due() > 0:
            return False
        return await self._process_now()

    async def wait_for(
        self, predicate: Callable[[Capacitor[T]], bool], *, timeout: float | None = 10.0
    ) -> None:
        """Wait until ``predicate(self)`` holds, re-checked after every outcome."""
        self._waiters += 1
        try:
            async with asyncio.timeout(timeout):
                while not predicate(self):
                    assert self._outcome is not None, "start() the capacitor first"
                    await self._outcome.wait()
        finally:
            self._waiters -= 1

    # -- synchronous programs --------------------------------------------------------------------

    def start_background(self, timeout: float | None = None) -> Capacitor[T]:
        """Run the capacitor on a background event-loop thread; returns once it has started.

        ``current`` and ``health`` can then be read from any thread; callbacks run
        on the background thread. Stop it with :meth:`stop`.
        """
        if self._thread is not None:
            raise CapacitorError(f"capacitor {self.name} already runs in the background")
        self._thread = LoopThread(f"flow-capacitor:{self.name}")
        try:
            self._thread.run(self.start(), timeout=timeout)
        except BaseException:
            self._thread.close()
            self._thread = None
            raise
        return self

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop a capacitor started with :meth:`start_background` and join its thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        try:
            thread.run(self.aclose(), timeout=timeout)
        finally:
            thread.close()

    # -- reading sources ---------------------------------------------------------------------

    async def _read(self, source: Source) -> None:
        # Watchers reconnect on their own; this only re-subscribes when changes()
        # itself raised something unexpected, with backoff so a broken watcher
        # cannot spin.
        retry = _RESUBSCRIBE.counter(self._clock)
        while self._state == "running":
            try:
                async for change in source.watcher.changes():
                    retry.reset()
                    await self._received(source, change)
            except asyncio.CancelledError:
                raise
            except SourceError as exc:
                self._watch_failed(source, exc, permanent=True)
                return
            except Exception as exc:
                self._watch_failed(source, exc, permanent=False)
                await retry.wait()
                continue
            if self._state == "running":
                source.ended = True
                self._watch_failed(source, CapacitorError("the source's watcher ended"), True)
            return

    async def _received(self, source: Source, change: Change) -> None:
        # The hot path of every change: keep it to attribute updates and one call.
        self.counters.received += 1
        if source.offer(change):
            self.counters.coalesced += 1
        if self._debounce > 0:
            now = self._clock.monotonic()
            self._last_received = now
            if self._pending_since is None:
                self._pending_since = now
        if self._wants(_CHANGE_RECEIVED):
            self._emit(_CHANGE_RECEIVED, revision=change.revision, source_label=source.label)
        if self._sync or not self._ready():
            return
        if self._debounce > 0 and self._first_outcome:
            assert self._wake is not None
            self._wake.set()
            return
        if self._inline:
            await self._process_pending()
        else:
            await self._process_now()

    def _ready(self) -> bool:
        """Every source has reported once (or ended), so a merge sees them all."""
        if self._all_reported:
            return True
        self._all_reported = all(s.seen_first or s.ended for s in self._sources)
        return self._all_reported

    async def _debouncer(self) -> None:
        assert self._wake is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while (delay := self._seconds_until_due()) > 0:
                await self._clock.sleep(delay)
            await self._process_now()

    def _seconds_until_due(self) -> float:
        if not self._first_outcome or self._debounce <= 0 or self._pending_since is None:
            return 0.0
        due = self._last_received + self._debounce
        if self._max_wait is not None:
            due = min(due, self._pending_since + self._max_wait)
        return due - self._clock.monotonic()

    # -- processing ----------------------------------------------------------------------------

    async def _process_now(self) -> bool:
        assert self._lock is not None
        async with self._lock:
            return await self._process_pending()

    async def _process_pending(self) -> bool:
        if len(self._sources) == 1:
            return await self._process_single(self._sources[0])
        return await self._process_merged()

    async def _process_single(self, source: Source) -> bool:
        """One source: the lean path every change of a plain Capacitor takes."""
        if not source.has_pending:
            return False
        change = source.take()
        self._pending_since = None
        if source.is_identical(change):
            self.counters.skipped_identical += 1
            return False
        self.counters.processed += 1
        if not self._stage_source(source, change):
            self._outcome_failed()
            return True
        try:
            if self._fast_json:
                value = self._validator.validate_json(change.value)  # type: ignore[arg-type]
            else:
                value = self._validator.validate(source.staged)
        except (CodecError, ValidationFailed) as exc:
            stage: Stage = "decode" if isinstance(exc, CodecError) else "validate"
            self._record(stage, exc, source, change.revision)
            self._outcome_failed()
            return True
        return await self._commit(value, [(source, change)], ())

    async def _commit(
        self, value: Any, fresh: list[tuple[Source, Change]], failed: Iterable[Source]
    ) -> bool:
        """Apply ``value`` through the callbacks; commit it and its sources unless they fail."""
        if self._callbacks and not await self._apply(self._current, value, fresh[-1][1].revision):
            self._outcome_failed()
            return True
        self._current, self._committed = value, True
        for source, change in fresh:
            if source not in failed:
                source.commit(change)
        self.counters.applied += 1
        if self._wants(_APPLIED):
            self._emit(_APPLIED, revisions=[c.revision for _, c in fresh])
        self._outcome_done(Health.DEGRADED if self._any_source_failing() else Health.HEALTHY)
        return True

    async def _process_merged(self) -> bool:
        """Several sources: merge every source's latest good value, then validate."""
        changed = [(s, s.take()) for s in self._sources if s.has_pending]
        self._pending_since = None
        fresh = [(s, c) for s, c in changed if not s.is_identical(c)]
        self.counters.skipped_identical += len(changed) - len(fresh)
        if not fresh:
            return False
        self.counters.processed += 1
        # Every failing source is recorded; the others still merge (Composite), so one
        # broken source does not freeze the rest.
        failed = [s for s, c in fresh if not self._stage_source(s, c)]
        if len(failed) == len(fresh):
            self._outcome_failed()
            return True
        try:
            value = self._merged_and_validated(fresh, failed)
        except (CodecError, ValidationFailed) as exc:
            stage: Stage = "decode" if isinstance(exc, CodecError) else "validate"
            self._record(stage, exc, None, fresh[-1][1].revision)
            self._outcome_failed()
            return True
        return await self._commit(value, fresh, failed)

    def _stage_source(self, source: Source, change: Change) -> bool:
        """Decode one source's change into ``source.staged``; False (recorded) on failure."""
        if change.value is None:
            if self._missing_is_error:
                message = "the source is absent (missing key or file, or deleted)"
                self._record("watch", CapacitorError(message), source, change.revision)
                return False
            source.staged = None
            return True
        if self._fast_json:
            source.staged = change.value  # validated straight from JSON bytes below
            return True
        try:
            source.staged = source.codec.decode(change.value)
        except Exception as exc:
            error = (
                exc if isinstance(exc, CodecError) else CodecError(f"{type(exc).__name__}: {exc}")
            )
            self._record("decode", error, source, change.revision)
            return False
        return True

    def _merged_and_validated(
        self, fresh: list[tuple[Source, Change]], failed: list[Source]
    ) -> Any:
        assert self._reducer is not None
        staged = {s for s, _ in fresh if s not in failed}
        layers = []
        for source in self._sources:
            if source in staged:
                if source.staged is not None:
                    layers.append(source.staged)
            elif source.has_value:
                layers.append(source.value)
        return self._validator.validate(self._reducer(layers))

    async def _apply(self, previous: T | None, value: T, revision: str | None) -> bool:
        if not self._callbacks:
            return True
        try:
            if self._pipeline is None:
                await self._run_callbacks(previous, value)
            else:
                await self._pipeline(self._run_callbacks, previous, value)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._record("apply", ApplyError(f"on_change callback raised {exc!r}"), None, revision)
            return False
        return True

    async def _run_callbacks(self, previous: T | None, value: T) -> None:
        for callback in tuple(self._callbacks):
            result = callback(previous, value)
            if inspect.isawaitable(result):
                await result

    # -- outcomes and health -----------------------------------------------------------------

    def _any_source_failing(self) -> bool:
        if len(self._sources) == 1:
            return self._sources[0].error is not None
        return any(s.error is not None for s in self._sources)

    def _outcome_failed(self) -> None:
        self._outcome_done(Health.DEGRADED if self._committed else Health.EMPTY)

    def _outcome_done(self, health: Health) -> None:
        self._first_outcome = True
        if health is not self._health:
            previous, self._health = self._health, health
            self._emit("health_changed", previous=previous.value, health=health.value)
        if self._waiters:
            assert self._outcome is not None
            self._outcome.set()
            self._outcome = asyncio.Event()

    def _watch_failed(self, source: Source, exc: BaseException, permanent: bool) -> None:
        self.counters.watch_failed += 1
        self._record("watch", exc, source, None)
        if permanent and not self._first_outcome:
            self._startup_error = exc
        # A transient failure before the first value keeps LOADING: the watcher is
        # re-subscribed and startup_timeout still bounds the wait.
        if permanent or self._first_outcome:
            self._outcome_failed()

    def _record(
        self, stage: Stage, exc: BaseException, source: Source | None, revision: str | None
    ) -> None:
        label = source.label if source is not None else self.name
        record = ErrorRecord(
            stage, str(exc), self._clock.time(), label, revision, type(exc).__name__
        )
        self._errors.append(record)
        if source is not None:
            source.error = record
        counter = {
            "decode": "decode_failed",
            "validate": "validation_failed",
            "apply": "apply_failed",
        }
        if stage in counter:
            setattr(self.counters, counter[stage], getattr(self.counters, counter[stage]) + 1)
        event = {
            "decode": "decode_failed",
            "validate": "validation_failed",
            "apply": "apply_failed",
        }
        self._emit(
            event.get(stage, "watch_failed"), stage=stage, message=str(exc), source_label=label
        )
        logger.warning("%s: %s failed: %s", self.name, stage, exc)

    def _emit(self, event: str, **data: Any) -> None:
        name = event if event.startswith("capacitor.") else "capacitor." + event
        if self._events.has_subscribers(name):
            self._events.emit(name, self.name, **data)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self._health.value}>"


def _unique_labels(sources: list[Source]) -> list[Source]:
    """Suffix ``#n`` to labels that repeat, so per-source errors stay apart."""
    labels = [s.label for s in sources]
    for index, source in enumerate(sources):
        if labels.count(source.label) > 1:
            source.label = f"{source.label}#{index + 1}"
    return sources


def _as_list(on_change: Callback | Iterable[Callback] | None) -> list[Callback]:
    if on_change is None:
        return []
    if callable(on_change):
        return [on_change]
    return list(on_change)


async def _close_quietly(watcher: Watcher) -> None:
    try:
        await watcher.aclose()
    except Exception:
        logger.exception("closing watcher %r failed", watcher)


async def _let_readers_run(sources: list[Source], counters: Counters) -> None:
    """Yield to the loop until the reader tasks stop receiving (they only buffer)."""
    for _ in range(100):
        before = counters.received + counters.watch_failed
        for _ in range(3):
            await asyncio.sleep(0)
        if counters.received + counters.watch_failed == before:
            return
