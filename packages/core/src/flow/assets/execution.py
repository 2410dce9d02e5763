"""``materialize``, ``materialize_all``, ``backfill`` and ``resume``, sync and async.

The ``*_async`` functions are the implementation; the plain names run them
with :func:`asyncio.run` (or, when called from inside a running event loop,
on a helper thread with its own loop), so synchronous programs and the CLI
need no asyncio. Inside async code (e.g. the scheduler) use the async forms.

Failures of assets do not raise: they are persisted and returned in the
result (``result.raise_for_status()`` raises). Bad requests raise at once:
unknown keys, bad partitions, cycles, and :class:`~flow.errors.DependencyNotReady`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
from collections.abc import Awaitable, Callable, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ..errors import AssetError, PartitionError
from ..store import MetadataStore, Status
from ._plan import build_steps, partition_steps
from ._runs import open_store, run_steps
from .definition import Asset
from .partitions import parse_partition
from .project import load_definitions
from .registry import Definitions
from .results import MaterializationResult, RunResult

if TYPE_CHECKING:
    from ..store import Approval

__all__ = [
    "backfill",
    "backfill_async",
    "materialize",
    "materialize_all",
    "materialize_all_async",
    "materialize_async",
    "resume",
    "resume_async",
]

P = ParamSpec("P")
T = TypeVar("T")


def _key(value: str | Asset) -> str:
    return value.key if isinstance(value, Asset) else value


def _defs(definitions: Definitions | None) -> Definitions:
    return definitions if definitions is not None else load_definitions()


async def materialize_async(
    key: str | Asset,
    *,
    partition: Any = None,
    run_id: str | None = None,
    definitions: Definitions | None = None,
    store: MetadataStore | None = None,
    force: bool = False,
) -> MaterializationResult:
    """Materialize one asset (its upstream must already have succeeded for that partition).

    Refuses (AssetError) while the latest materialization of that asset and
    partition waits for approval, unless ``force``.
    """
    defs = _defs(definitions)
    item = defs.get(_key(key))
    steps = build_steps(defs, [item.key], partition)
    with await open_store(store, defs.project_dir) as db:
        if not force:
            await asyncio.to_thread(
                _refuse_waiting, db, steps[0].asset.key, steps[0].partition_text
            )
        result = await run_steps(
            steps,
            defs=defs,
            store=db,
            kind="materialize",
            target=steps[0].label,
            parallel=1,
            run_id=run_id,
        )
    return result.results[0]


def _refuse_waiting(store: MetadataStore, key: str, partition: str | None) -> None:
    latest = store.latest_materialization(key, partition)
    if latest is not None and latest.status is Status.WAITING_APPROVAL:
        raise AssetError(
            f"asset {key!r}{'' if partition is None else f' partition {partition}'} is waiting "
            f"for approval (materialization {latest.id}); approve or reject it "
            "(`flow approvals list`), or pass force=True to compute it again"
        )


async def materialize_all_async(
    targets: Iterable[str | Asset] | str | Asset | None = None,
    *,
    partition: Any = None,
    parallel: int = 4,
    definitions: Definitions | None = None,
    store: MetadataStore | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Materialize ``targets`` and everything upstream of them (None: every asset).

    Independent assets run concurrently, at most ``parallel`` at a time. An
    asset that fails (or waits for approval) skips its downstream in the run;
    independent branches still run.
    """
    defs = _defs(definitions)
    if targets is None:
        keys = list(defs.graph.order)
        label = "*"
    else:
        wanted = [targets] if isinstance(targets, (str, Asset)) else list(targets)
        names = [_key(t) for t in wanted]
        for name in names:
            defs.get(name)
        keys = defs.graph.closure(names)
        label = ",".join(names)
    steps = build_steps(defs, keys, partition)
    with await open_store(store, defs.project_dir) as db:
        return await run_steps(
            steps,
            defs=defs,
            store=db,
            kind="materialize_all",
            target=label,
            parallel=parallel,
            run_id=run_id,
        )


async def backfill_async(
    key: str | Asset,
    partitions: Iterable[Any],
    *,
    parallel: int = 4,
    force: bool = False,
    definitions: Definitions | None = None,
    store: MetadataStore | None = None,
    run_id: str | None = None,
) -> RunResult:
    """Materialize ``key`` for each partition, skipping those whose latest succeeded.

    With ``force`` every partition is computed again. A backfill interrupted
    by a crash is finished by running it again: what was recorded as
    successful is skipped, and nothing is recorded twice.
    """
    defs = _defs(definitions)
    item = defs.get(_key(key))
    if item.partitions is None:
        raise PartitionError(f"asset {item.key!r} is not partitioned; use materialize()")
    if isinstance(partitions, str):
        raise PartitionError(
            "backfill partitions must be a list of keys; for a range use "
            f"asset.partitions.range(first, last) (got the string {partitions!r})"
        )
    steps = partition_steps(defs, item, partitions)
    with await open_store(store, defs.project_dir) as db:
        already: tuple[str | None, ...] = ()
        if not force:
            latest = await asyncio.to_thread(db.latest_statuses, [item.key])
            done = {
                p for (k, p), m in latest.items() if k == item.key and m.status is Status.SUCCESS
            }
            already = tuple(s.partition_text for s in steps if s.partition_text in done)
            steps = [s for s in steps if s.partition_text not in done]
        return await run_steps(
            steps,
            defs=defs,
            store=db,
            kind="backfill",
            target=item.key,
            parallel=parallel,
            run_id=run_id,
            already=already,
        )


async def resume_async(
    materialization_id: int,
    *,
    approval: Approval,
    definitions: Definitions | None = None,
    store: MetadataStore | None = None,
) -> MaterializationResult:
    """Finish a materialization that waited for approval, on the same record.

    Approved: the asset runs again with ``context.approval`` set to the
    decision (it may finish, fail, or ask again). Not approved: the
    materialization is marked failed with the decision's reason, without
    running the asset.
    """
    defs = _defs(definitions)
    with await open_store(store, defs.project_dir) as db:
        found = await asyncio.to_thread(db.get_materialization, materialization_id)
        if found is None:
            raise AssetError(f"no materialization with id {materialization_id}")
        if found.status is not Status.WAITING_APPROVAL:
            raise AssetError(
                f"materialization {materialization_id} of {found.asset_key!r} is "
                f"{found.status.value}, not waiting for approval"
            )
        item = defs.get(found.asset_key)
        partition = None if found.partition is None else parse_partition(found.partition)
        steps = build_steps(defs, [item.key], partition)
        step = steps[0]
        step.existing_id = materialization_id
        step.approval = approval
        if not approval.approved:
            return await asyncio.to_thread(_reject, db, step, found.run_id, approval)
        result = await run_steps(
            steps,
            defs=defs,
            store=db,
            kind="resume",
            target=step.label,
            parallel=1,
            run_id=found.run_id,
            existing_run=True,
        )
        return result.results[0]


def _reject(
    store: MetadataStore, step: Any, run_id: str, approval: Approval
) -> MaterializationResult:
    from datetime import UTC, datetime

    who = f" by {approval.actor}" if approval.actor else ""
    why = f": {approval.decision_reason}" if approval.decision_reason else ""
    step.status = Status.FAILED
    step.error = f"approval {approval.id} {approval.status.value}{who}{why}"
    step.materialization_id = step.existing_id
    step.started_at = step.finished_at = datetime.now(UTC)
    store.finish_materialization(step.existing_id, status=Status.FAILED, error=step.error)
    return step.result(run_id)  # type: ignore[no-any-return]


# -- synchronous forms --------------------------------------------------------------------------
def _run_sync(fn: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_await(fn(*args, **kwargs)))
    # Called from inside an event loop (a notebook, an async program): run on a helper
    # thread with its own loop rather than block this one's re-entrancy.
    context = contextvars.copy_context()
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="flow-assets-sync") as pool:
        return pool.submit(context.run, asyncio.run, _await(fn(*args, **kwargs))).result()


async def _await(awaitable: Awaitable[T]) -> T:
    return await awaitable


def sync_form(fn: Callable[P, Awaitable[T]], name: str) -> Callable[P, T]:
    """The synchronous form of coroutine function ``fn``, named ``name`` (same parameters)."""

    def call(*args: P.args, **kwargs: P.kwargs) -> T:
        return _run_sync(fn, *args, **kwargs)

    functools.update_wrapper(call, fn)  # the signature, for help() and editors
    call.__name__ = call.__qualname__ = name
    call.__doc__ = f"Synchronous :func:`{fn.__name__}`."
    return call


materialize = sync_form(materialize_async, "materialize")
materialize_all = sync_form(materialize_all_async, "materialize_all")
backfill = sync_form(backfill_async, "backfill")
resume = sync_form(resume_async, "resume")
