"""The data-flow runner: each entity moved home → store, with retries, records and watermarks.

Per entity: ``store.begin()``, then a bounded producer/consumer from
``home.read(after=watermark)`` to ``store.write(batch)``, then
``store.publish()``; only after publish succeeded is the watermark advanced.
Transient failures are retried through a :class:`~flow.pipeline.Pipeline`
with ``store.abort()`` between tries; permanent ones fail at once. Entities of
a flow run in parallel up to the flow's ``parallel``; flows run one after
another. Every entity run is a materialization record (``<flow>/<entity>``)
with a lineage edge from ``home:<home.describe()>``.
"""

from __future__ import annotations

import asyncio
import logging
import os
import traceback
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from .. import events
from ..clock import SYSTEM_CLOCK, Clock
from ..errors import DataFlowError, FlowError
from ..pipeline import Pipeline, backoff, retry
from ..store import Status
from ._pump import open_batches, pump
from .config import EntityDefinition, FlowDefinition
from .protocols import Home, PublishResult, Store
from .results import EntityProgress, EntityResult, PlanRow, RunResult
from .watermarks import decode_watermark, encode_watermark

if TYPE_CHECKING:
    from ..store import MetadataStore

__all__ = [
    "DEFAULT_QUEUE_SIZE",
    "Runner",
    "is_transient",
    "plan",
    "run_flows",
    "run_flows_async",
    "select",
]

logger = logging.getLogger("flow.dataflows")

#: Batches the home may read ahead of the store (memory ≈ (this + 2) batches per entity).
DEFAULT_QUEUE_SIZE = 4
#: Exceptions that retrying cannot fix (bad config, bad data, missing files).
_PERMANENT: tuple[type[BaseException], ...] = (
    FlowError,
    TypeError,
    ValueError,
    LookupError,
    AttributeError,
    NotImplementedError,
    ImportError,
    FileNotFoundError,
    PermissionError,
    IsADirectoryError,
    NotADirectoryError,
)


def is_transient(error: BaseException) -> bool:
    """Whether a failed try is worth retrying.

    A provider decides by setting ``error.transient = True/False``; otherwise
    config, type, value and lookup errors, missing files and every
    :class:`~flow.errors.FlowError` are permanent, and anything else (I/O,
    connections, timeouts, database errors) is transient.
    """
    flag = getattr(error, "transient", None)
    if isinstance(flag, bool):
        return flag
    return not isinstance(error, _PERMANENT)


class _Transient(Exception):
    """Carries a transient failure through the retry stage (which retries only this)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


def select(
    flows: Sequence[FlowDefinition], entities: Collection[str] | None = None
) -> list[tuple[FlowDefinition, EntityDefinition]]:
    """The (flow, entity) pairs to run: the named entities, else every enabled one."""
    if not entities:
        return [(f, e) for f in flows for e in f.entities if e.enabled]
    wanted = set(entities)
    chosen = [(f, e) for f in flows for e in f.entities if e.name in wanted]
    missing = wanted - {e.name for _, e in chosen}
    if missing:
        known = ", ".join(sorted({e.name for f in flows for e in f.entities})) or "none"
        raise DataFlowError(
            f"no entity named {', '.join(sorted(missing))} in flow(s) "
            f"{', '.join(f.name for f in flows)}; entities: {known}"
        )
    return chosen


def plan(
    flows: Sequence[FlowDefinition],
    metadata: MetadataStore,
    *,
    entities: Collection[str] | None = None,
    full_refresh: bool = False,
) -> list[PlanRow]:
    """What :class:`Runner` would do, reading watermarks but moving nothing."""
    rows = []
    for flow, entity in select(flows, entities):
        spec = entity.spec
        watermark = metadata.get_watermark(f"flow:{flow.name}", entity.name)
        if spec.timestamp is None:
            mode = "full"
        elif full_refresh:
            mode = "full refresh"
        else:
            mode = "initial" if watermark is None else "incremental"
        home, store = entity.home_class(spec), entity.store_class(spec)
        rows.append(
            PlanRow(
                flow.name,
                entity.name,
                home.describe(),
                store.describe(),
                mode,
                spec.key,
                spec.timestamp,
                watermark,
            )
        )
    return rows


class Runner:
    """Runs the selected entities of ``flows`` once; see :meth:`run`.

    ``progress`` (one :class:`EntityProgress` per selected entity) is filled in
    as the run goes, for displays to poll. ``queue_size`` bounds how many
    batches a home reads ahead of its store.
    """

    def __init__(
        self,
        flows: Sequence[FlowDefinition],
        metadata: MetadataStore,
        *,
        entities: Collection[str] | None = None,
        full_refresh: bool = False,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        if queue_size < 1:
            raise ValueError(f"queue_size must be >= 1 batch, got {queue_size}")
        self.flows = tuple(flows)
        self.metadata = metadata
        self.full_refresh = full_refresh
        self.queue_size = queue_size
        self.clock = clock
        self._selected = select(self.flows, entities)
        self.progress = [EntityProgress(f.name, e.name) for f, e in self._selected]

    async def run(self) -> RunResult:
        """Move every selected entity; a failed entity does not stop the others.

        Returns a :class:`RunResult` (check ``.ok``). Cancelling the task aborts
        every staging area in progress and records the entities as failed.
        """
        started = self.clock.monotonic()
        target = ",".join(f.name for f in self.flows)
        tags = {"full_refresh": "true"} if self.full_refresh else None
        run_id = await asyncio.to_thread(
            self.metadata.create_run, kind="flow", target=target, tags=tags
        )
        results: list[EntityResult] = []
        try:
            for flow in self.flows:
                results += await self._run_flow(flow, run_id)
        except BaseException:
            await asyncio.to_thread(
                self.metadata.finish_run, run_id, Status.FAILED, "cancelled or crashed"
            )
            raise
        ok = all(r.status is Status.SUCCESS for r in results)
        failed = [r.asset_key for r in results if r.status is not Status.SUCCESS]
        error = None if ok else "failed: " + ", ".join(failed)
        status = Status.SUCCESS if ok else Status.FAILED
        await asyncio.to_thread(self.metadata.finish_run, run_id, status, error)
        return RunResult(run_id, tuple(results), self.clock.monotonic() - started)

    async def _run_flow(self, flow: FlowDefinition, run_id: str) -> list[EntityResult]:
        limit = asyncio.Semaphore(flow.parallel)
        pairs = [
            (e, p) for (f, e), p in zip(self._selected, self.progress, strict=True) if f is flow
        ]

        async def bounded(entity: EntityDefinition, progress: EntityProgress) -> EntityResult:
            async with limit:
                return await _EntityRun(self, flow, entity, progress, run_id).run()

        # gather cancels nothing on an entity's failure: each returns its own result.
        return list(await asyncio.gather(*(bounded(e, p) for e, p in pairs)))


class _EntityRun:
    """One entity moved once (with retries), recorded in the metadata store."""

    def __init__(
        self,
        runner: Runner,
        flow: FlowDefinition,
        entity: EntityDefinition,
        progress: EntityProgress,
        run_id: str,
    ) -> None:
        self.runner, self.flow, self.entity = runner, flow, entity
        self.progress, self.run_id = progress, run_id
        self.metadata = runner.metadata
        self.namespace = f"flow:{flow.name}"
        self.store: Store | None = None  # set by _open(); abort() needs it
        self.staging = False  # whether begin() may have left staging to abort

    async def run(self) -> EntityResult:
        clock, progress, key = self.runner.clock, self.progress, self.entity.asset_key
        progress.started, progress.status = clock.monotonic(), "running"
        events.emit("dataflow.entity_started", key, run_id=self.run_id)
        mat_id = await asyncio.to_thread(
            self.metadata.start_materialization, run_id=self.run_id, asset_key=key, partition=None
        )
        before: str | None = None
        try:
            home, store = self._open()
            before = await self._watermark()
            after = None if before is None or self.runner.full_refresh else decode_watermark(before)
            published = await self._tries(home, store, after)
            watermark = await self._advance(before, published)
        except asyncio.CancelledError:
            await self._abort()
            await self._failed(mat_id, before, "cancelled", None)
            raise
        except Exception as error:
            await self._abort()
            text = f"{type(error).__name__}: {error}"
            trace = "".join(traceback.format_exception(error))
            return await self._failed(mat_id, before, text, trace)
        return await self._succeeded(mat_id, before, watermark, published)

    def _open(self) -> tuple[Home, Store]:
        spec, progress = self.entity.spec, self.progress
        home = self.entity.home_class(spec)
        self.store = store = self.entity.store_class(spec)
        progress.home, progress.store = home.describe(), store.describe()
        return home, store

    async def _watermark(self) -> str | None:
        if self.entity.spec.timestamp is None:
            return None
        return await asyncio.to_thread(
            self.metadata.get_watermark, self.namespace, self.entity.name
        )

    async def _tries(self, home: Home, store: Store, after: Any | None) -> PublishResult:
        flow = self.flow
        policy = backoff(flow.retry_delay, max_delay=max(30.0, flow.retry_delay))
        stage = retry(
            flow.retries + 1,
            on=(_Transient,),
            backoff=policy if flow.retry_delay > 0 else None,
            clock=self.runner.clock,
        )
        try:
            return await Pipeline(stage)(self._try, home, store, after)
        except _Transient as wrapped:
            wrapped.error.add_note(f"flow run: gave up after {self.progress.attempt} tries")
            raise wrapped.error from None

    async def _try(self, home: Home, store: Store, after: Any | None) -> PublishResult:
        progress = self.progress
        progress.attempt += 1
        progress.counter.rows = progress.counter.batches = 0
        progress.status = "running"
        try:
            self.staging = True
            await store.begin(full_refresh=self.runner.full_refresh)
            batches = await open_batches(home.read(after=after))
            await pump(batches, store.write, progress.counter, maxsize=self.runner.queue_size)
            published = await store.publish()
            self.staging = False
            return published
        except asyncio.CancelledError:
            raise  # aborted by run()
        except Exception as error:
            await self._abort()
            if not is_transient(error):
                raise
            progress.status = "retrying"
            logger.warning(
                "%s: try %d failed (%s: %s)",
                self.entity.asset_key,
                progress.attempt,
                type(error).__name__,
                error,
            )
            events.emit(
                "dataflow.entity_retrying",
                self.entity.asset_key,
                attempt=progress.attempt,
                error=str(error),
            )
            raise _Transient(error) from error

    async def _advance(self, before: str | None, published: PublishResult) -> str | None:
        """Store the new watermark (after publish, never before); returns it."""
        if self.entity.spec.timestamp is None or published.max_timestamp is None:
            return before
        value = encode_watermark(published.max_timestamp)
        if value != before:
            await asyncio.to_thread(
                self.metadata.set_watermark, self.namespace, self.entity.name, value
            )
        return value

    async def _abort(self) -> None:
        if self.store is None or not self.staging:
            return
        self.staging = False
        try:
            await self.store.abort()
        except Exception:
            # The first error is the one to report; a failing cleanup is logged only.
            logger.exception("%s: store.abort() failed", self.entity.asset_key)

    async def _succeeded(
        self, mat_id: int, before: str | None, after: str | None, published: PublishResult
    ) -> EntityResult:
        progress = self.progress
        progress.finished, progress.status = self.runner.clock.monotonic(), "success"
        metadata = {
            "rows": published.rows,
            "bytes": published.bytes,
            "watermark_before": before,
            "watermark_after": after,
            "attempts": progress.attempt,
            "full_refresh": self.runner.full_refresh,
            "home": progress.home,
            "store": progress.store,
        }
        key = self.entity.asset_key
        await asyncio.to_thread(self._record_success, mat_id, metadata)
        events.emit("dataflow.entity_succeeded", key, rows=published.rows, run_id=self.run_id)
        return self._result(Status.SUCCESS, mat_id, before, after, published)

    def _record_success(self, mat_id: int, metadata: dict[str, Any]) -> None:
        key = self.entity.asset_key
        self.metadata.add_lineage(mat_id, (key, None), [(f"home:{self.progress.home}", None)])
        self.metadata.finish_materialization(mat_id, status=Status.SUCCESS, metadata=metadata)

    async def _failed(
        self, mat_id: int, before: str | None, error: str, trace: str | None
    ) -> EntityResult:
        progress = self.progress
        progress.finished, progress.status = self.runner.clock.monotonic(), "failed"
        metadata = {"attempts": progress.attempt, "watermark_before": before}
        await asyncio.to_thread(
            self.metadata.finish_materialization,
            mat_id,
            status=Status.FAILED,
            error=error,
            traceback=trace,
            metadata=metadata,
        )
        events.emit("dataflow.entity_failed", self.entity.asset_key, error=error)
        return self._result(Status.FAILED, mat_id, before, before, None, error)

    def _result(
        self,
        status: Status,
        mat_id: int,
        before: str | None,
        after: str | None,
        published: PublishResult | None,
        error: str | None = None,
    ) -> EntityResult:
        progress = self.progress
        return EntityResult(
            flow=self.flow.name,
            entity=self.entity.name,
            status=status,
            home=progress.home,
            store=progress.store,
            rows=published.rows if published else 0,
            bytes=published.bytes if published else None,
            seconds=progress.seconds(self.runner.clock.monotonic()),
            attempts=progress.attempt,
            watermark_before=before,
            watermark_after=after,
            error=error,
            materialization_id=mat_id,
        )


async def run_flows_async(
    names: Sequence[str] | None = None,
    *,
    project_dir: str | os.PathLike[str] | None = None,
    entities: Collection[str] | None = None,
    full_refresh: bool = False,
    metadata: MetadataStore | None = None,
) -> RunResult:
    """Load the named flows of the project (default: all) and run them once.

    ``metadata`` defaults to the project's metadata store
    (:meth:`~flow.store.MetadataStore.open`), closed again afterwards.
    """
    from ..store import MetadataStore
    from .config import load_flows

    flows = load_flows(names, project_dir=project_dir)
    own = metadata is None
    store = MetadataStore.open(project_dir=project_dir) if metadata is None else metadata
    try:
        runner = Runner(flows, store, entities=entities, full_refresh=full_refresh)
        return await runner.run()
    finally:
        if own:
            store.close()


def run_flows(
    names: Sequence[str] | None = None,
    *,
    project_dir: str | os.PathLike[str] | None = None,
    entities: Collection[str] | None = None,
    full_refresh: bool = False,
    metadata: MetadataStore | None = None,
) -> RunResult:
    """:func:`run_flows_async` for synchronous programs (runs its own event loop)."""
    return asyncio.run(
        run_flows_async(
            names,
            project_dir=project_dir,
            entities=entities,
            full_refresh=full_refresh,
            metadata=metadata,
        )
    )
