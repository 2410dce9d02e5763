"""The run engine: executes steps in dependency order on up to ``parallel`` threads.

Why threads and not one asyncio task per asset: the metadata store is
synchronous (SQLAlchemy), most asset functions are plain functions, and
handing each call to a thread pool costs ~200 µs here, twice the per-asset
budget. So a run is a small pool of worker threads sharing a ready queue: a
worker that finishes an asset picks the next ready one itself (a chain never
switches threads), and more workers start only while ready assets wait.
``async def`` assets and async IO managers run on the caller's event loop
(``run_coroutine_threadsafe``). Finished records are buffered and written in
batches by a flusher thread every ``flush_interval`` seconds and at the end,
one transaction per batch: a crash loses at most the last interval's records,
whose assets are then simply computed again; nothing is ever recorded twice.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import threading
import time
import traceback
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import FlowError, IOManagerError, ResourceError
from ..events import bus
from ..store import MaterializationRecord, MetadataStore, Status
from ._steps import Step
from .context import AssetContext
from .io_managers import IOContext, resolve_io_manager
from .waiting import WaitForApproval

__all__ = ["Engine"]

_now = datetime.now
_EVENT = "assets.materialization"


class Engine:
    """Runs the steps of one run and persists their outcomes."""

    def __init__(
        self,
        steps: list[Step],
        *,
        run_id: str,
        store: MetadataStore,
        parallel: int,
        loop: asyncio.AbstractEventLoop | None,
        resources: Mapping[type, Any],
        resource_errors: Mapping[type, str],
        io_managers: Mapping[str, Any],
        project_dir: Path | None,
        flush_interval: float = 0.1,
    ) -> None:
        self.steps = steps
        self.run_id = run_id
        self.store = store
        self.parallel = max(1, int(parallel))
        self.loop = loop
        self.resources = resources
        self.resource_errors = resource_errors
        self.io_overrides = io_managers
        self.project_dir = project_dir
        self.flush_interval = flush_interval
        self._managers: dict[str, Any] = {}
        self._cv = threading.Condition()
        self._ready: deque[int] = deque()
        self._left = 0
        self._idle = 0
        self._threads: list[threading.Thread] = []
        self._cancelled = False
        # Async steps block their worker on a future; cancel() cancels these, so an
        # async asset stops with the run instead of keeping the process alive.
        self._inflight: set[concurrent.futures.Future[Any]] = set()
        self._buffer: list[tuple[int, MaterializationRecord]] = []
        self._buffer_lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self.store_error: BaseException | None = None

    # -- driving ----------------------------------------------------------------------------
    def run(self) -> None:
        """Execute every step (in this thread plus helpers); returns when all are done."""
        for index, step in enumerate(self.steps):
            step.pending = sum(1 for i in step.inputs if i.step is not None)
            if step.pending == 0:
                self._ready.append(index)
        self._left = len(self.steps)
        flusher = threading.Thread(target=self._flush_loop, name="flow-assets-flush", daemon=True)
        flusher.start()
        try:
            self._worker()
        finally:
            for thread in list(self._threads):
                thread.join()
            self._stop.set()
            flusher.join()
            self._flush()
        if self.store_error is not None:
            raise self.store_error

    def cancel(self) -> None:
        """Start nothing new; steps not started are recorded as skipped."""
        with self._cv:
            self._cancelled = True
            for future in self._inflight:
                future.cancel()
            self._cv.notify_all()
        bus.emit("assets.run_cancelled", self.run_id)

    def _worker(self) -> None:
        cv = self._cv
        steps = self.steps
        while True:
            with cv:
                while not self._ready and self._left > 0 and not self._cancelled:
                    self._idle += 1
                    cv.wait()
                    self._idle -= 1
                if self._cancelled:
                    self._skip_unstarted("the run was cancelled")
                if not self._ready:
                    if self._left <= 0 or self._cancelled:
                        cv.notify_all()
                        return
                    continue
                index = self._ready.popleft()
                steps[index].status = Status.RUNNING
                if self._ready and self._idle == 0 and len(self._threads) + 1 < self.parallel:
                    self._spawn()
            self._execute(index)
            with cv:
                woke = self._complete(index)
                if woke or self._left <= 0:
                    cv.notify_all()

    def _spawn(self) -> None:
        # Helpers see the same ctx scopes (resources) as the first worker.
        context = contextvars.copy_context()
        thread = threading.Thread(
            target=context.run,
            args=(self._worker,),
            name=f"flow-assets-{len(self._threads) + 1}",
            daemon=True,
        )
        self._threads.append(thread)
        thread.start()

    def _complete(self, index: int) -> int:
        """Account for a finished step; returns how many steps became ready."""
        step = self.steps[index]
        self._left -= 1
        woke = 0
        if step.status is Status.SUCCESS:
            for down in step.downs:
                other = self.steps[down]
                if other.status is Status.PENDING:
                    other.pending -= 1
                    if other.pending == 0:
                        self._ready.append(down)
                        woke += 1
            return woke
        if step.status is Status.WAITING_APPROVAL:
            reason = f"waiting for approval of {step.label}"
        else:
            reason = f"upstream {step.label} {step.status.value}"
        stack = list(step.downs)
        while stack:
            down = stack.pop()
            if self.steps[down].status is Status.PENDING:
                self._skip(down, reason)
                stack.extend(self.steps[down].downs)
        return woke

    def _skip_unstarted(self, reason: str) -> None:
        self._ready.clear()
        for index, step in enumerate(self.steps):
            if step.status is Status.PENDING:
                self._skip(index, reason)

    def _skip(self, index: int, reason: str) -> None:
        step = self.steps[index]
        step.status = Status.SKIPPED
        step.error = reason
        step.started_at = step.finished_at = _now(UTC)
        step.duration = 0.0
        self._left -= 1
        self._record(index, step)

    # -- one step ---------------------------------------------------------------------------
    def _execute(self, index: int) -> None:
        step = self.steps[index]
        item = step.asset
        step.started_at = _now(UTC)
        began = time.perf_counter()
        wait_timeout = None
        try:
            missing = [kind for kind in item.resources if kind in self.resource_errors]
            if missing:
                raise ResourceError("; ".join(self.resource_errors[k] for k in missing))
            kwargs = self._arguments(step)
            value = item.fn(**kwargs)
            if item.is_async or inspect.isawaitable(value):
                value = self._await(value)
            if isinstance(value, WaitForApproval):
                raise value
            self._store_value(step, value)
            step.status = Status.SUCCESS
        except WaitForApproval as wait:
            step.status = Status.WAITING_APPROVAL
            step.error = wait.reason
            wait_timeout = wait.timeout
        except Exception as exc:
            step.status = Status.FAILED
            step.error = _describe(exc)
            step.traceback = traceback.format_exc()
        step.duration = time.perf_counter() - began
        step.finished_at = _now(UTC)
        self._record(index, step)
        if step.status is Status.WAITING_APPROVAL:
            self._request_approval(step, wait_timeout)
        if bus.has_subscribers(_EVENT):
            bus.emit(_EVENT, step.asset.key, run_id=self.run_id, result=step.result(self.run_id))

    def _arguments(self, step: Step) -> dict[str, Any]:
        item = step.asset
        kwargs: dict[str, Any] = {}
        if item.wants_context:
            resources = {kind: self.resources[kind] for kind in item.resources}
            kwargs["context"] = AssetContext(
                item.key,
                step.partition,
                step.partition_text,
                self.run_id,
                item.log,
                resources,
                step.approval,
            )
        for source in step.inputs:
            if source.param is None:
                continue
            if not source.available:
                kwargs[source.param] = None
                continue
            io = IOContext(source.dep, source.partition, source.partition_text, self.run_id)
            manager = self._manager(source.io_manager)
            try:
                value = manager.load(io)
                if inspect.isawaitable(value):
                    value = self._await(value)
            except Exception as exc:
                raise _io_error("load", source.io_manager, io, exc, f" for {step.label}") from exc
            kwargs[source.param] = value
        return kwargs

    def _store_value(self, step: Step, value: Any) -> None:
        name = step.asset.io_manager
        io = IOContext(step.asset.key, step.partition, step.partition_text, self.run_id)
        manager = self._manager(name)
        try:
            done = manager.store(io, value)
            if inspect.isawaitable(done):
                self._await(done)
        except Exception as exc:
            raise _io_error("store", name, io, exc, "") from exc

    def _manager(self, name: str) -> Any:
        manager = self._managers.get(name)
        if manager is None:
            manager = resolve_io_manager(name, self.project_dir, self.io_overrides)
            self._managers[name] = manager
        return manager

    def _await(self, awaitable: Any) -> Any:
        if self.loop is None or self.loop.is_closed():
            raise FlowError("an async asset or io manager needs a running event loop")
        future = asyncio.run_coroutine_threadsafe(_as_coroutine(awaitable), self.loop)
        with self._cv:
            if self._cancelled:
                future.cancel()
            self._inflight.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise FlowError("cancelled: the run was cancelled while this step ran") from None
        finally:
            with self._cv:
                self._inflight.discard(future)

    # -- persistence ------------------------------------------------------------------------
    def _record(self, index: int, step: Step) -> None:
        assert step.started_at is not None
        assert step.finished_at is not None
        upstream = (
            tuple(
                (i.dep, i.partition_text)
                for i in step.inputs
                if i.available and (i.step is None or self.steps[i.step].status is Status.SUCCESS)
            )
            + tuple((key, None) for key in step.asset.external_deps)
            if step.status is Status.SUCCESS
            else ()
        )
        if step.existing_id is not None:
            self._update_existing(step, upstream)
            return
        record = MaterializationRecord(
            run_id=self.run_id,
            asset_key=step.asset.key,
            partition=step.partition_text,
            status=step.status,
            started_at=step.started_at,
            finished_at=step.finished_at,
            error=step.error,
            traceback=step.traceback,
            upstream=upstream,
            duration=step.duration,
        )
        with self._buffer_lock:
            self._buffer.append((index, record))
        if step.status is Status.WAITING_APPROVAL:
            self._flush()  # the approval request needs the materialization's id now

    def _update_existing(self, step: Step, upstream: tuple[tuple[str, str | None], ...]) -> None:
        assert step.existing_id is not None
        step.materialization_id = step.existing_id
        self.store.finish_materialization(
            step.existing_id, status=step.status, error=step.error, traceback=step.traceback
        )
        if upstream:
            self.store.add_lineage(
                step.existing_id, (step.asset.key, step.partition_text), upstream
            )

    def _flush_loop(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self._flush()

    def _flush(self) -> None:
        with self._flush_lock:
            with self._buffer_lock:
                batch, self._buffer = self._buffer, []
            if not batch:
                return
            try:
                ids = self.store.record_materializations([record for _, record in batch])
            except BaseException as exc:
                self.store_error = exc
                return
            for (index, _), mid in zip(batch, ids, strict=True):
                self.steps[index].materialization_id = mid

    def _request_approval(self, step: Step, timeout: Any) -> None:
        from datetime import timedelta

        if step.materialization_id is None:
            return  # the store failed; the run reports store_error
        expires = _now(UTC) + timeout if isinstance(timeout, timedelta) else None
        step.approval_id = self.store.create_approval(
            materialization_id=step.materialization_id,
            asset_key=step.asset.key,
            partition=step.partition_text,
            reason=step.error or "",
            expires_at=expires,
        )
        self.store.audit(
            "approval_requested",
            step.asset.key,
            details={
                "approval_id": step.approval_id,
                "materialization_id": step.materialization_id,
                "partition": step.partition_text,
                "reason": step.error,
                "run_id": self.run_id,
            },
        )


async def _as_coroutine(awaitable: Any) -> Any:
    return await awaitable


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FlowError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _io_error(action: str, name: str, io: IOContext, exc: Exception, suffix: str) -> IOManagerError:
    if isinstance(exc, IOManagerError) and repr(name) in str(exc):
        return IOManagerError(f"{exc} (needed{suffix})" if suffix else str(exc))
    verb = "load" if action == "load" else "store"
    return IOManagerError(
        f"io manager {name!r} failed to {verb} {io.where}{suffix}: {_describe(exc)}"
    )
