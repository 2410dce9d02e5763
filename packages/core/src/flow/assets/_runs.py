"""Running a list of steps: store, run record, resources, the engine, the outcome."""

from __future__ import annotations

import asyncio
import contextvars
import getpass
import os
from contextlib import AbstractContextManager, AsyncExitStack, nullcontext
from typing import Any

from ..state.ctx import ctx
from ..store import MetadataStore, Status
from ._engine import Engine
from ._plan import check_ready
from ._steps import Step
from .registry import Definitions
from .resources import setup_resources
from .results import RunResult

__all__ = ["open_store", "run_status", "run_steps", "store_scope"]


def store_scope(
    store: MetadataStore | None, project_dir: str | os.PathLike[str] | None
) -> AbstractContextManager[MetadataStore]:
    """``store`` (left open), or the project's store opened now and closed by the ``with``."""
    return nullcontext(store) if store is not None else MetadataStore.open(project_dir=project_dir)


async def open_store(
    store: MetadataStore | None, project_dir: str | os.PathLike[str] | None
) -> AbstractContextManager[MetadataStore]:
    """:func:`store_scope`, opened in a worker thread (opening may migrate the database)."""
    return await asyncio.to_thread(store_scope, store, project_dir)


def run_status(steps: list[Step]) -> Status:
    """The run's status: failed (anything failed or was cancelled), else waiting, else success."""
    waiting = False
    for step in steps:
        if step.status is Status.FAILED:
            return Status.FAILED
        if step.status is Status.SKIPPED and not (step.error or "").startswith("waiting for"):
            return Status.FAILED
        waiting = waiting or step.status is Status.WAITING_APPROVAL
    return Status.WAITING_APPROVAL if waiting else Status.SUCCESS


def _actor() -> str | None:
    try:
        return getpass.getuser()
    except Exception:
        return None


async def run_steps(
    steps: list[Step],
    *,
    defs: Definitions,
    store: MetadataStore,
    kind: str,
    target: str,
    parallel: int,
    run_id: str | None,
    already: tuple[str | None, ...] = (),
    check: bool = True,
    existing_run: bool = False,
) -> RunResult:
    """Check readiness, record the run, set up resources, execute, record the outcome."""
    if check:
        await asyncio.to_thread(check_ready, store, steps)
    if not existing_run:
        run_id = await asyncio.to_thread(store.create_run, kind=kind, target=target, run_id=run_id)
    assert run_id is not None
    loop = asyncio.get_running_loop()
    kinds = [k for s in steps for k in s.asset.resources]
    async with AsyncExitStack() as stack:
        values, errors = await setup_resources(defs, kinds, stack)
        engine = Engine(
            steps,
            run_id=run_id,
            store=store,
            parallel=parallel,
            loop=loop,
            resources=values,
            resource_errors=errors,
            io_managers=defs.io_managers,
            project_dir=defs.project_dir,
        )
        states = list({type(v): v for v in values.values()}.values())
        cancelled = False
        async with ctx.scope("flow.assets.run", *states):
            try:
                await _run_engine(loop, engine)
            except asyncio.CancelledError:
                cancelled = True  # record the outcome first, then let the cancellation through
    status = run_status(steps)
    if not existing_run:
        await asyncio.to_thread(_finish, store, run_id, status, steps, kind, target)
    if cancelled:
        raise asyncio.CancelledError
    return RunResult(run_id, status, tuple(s.result(run_id) for s in steps), already)


async def _run_engine(loop: asyncio.AbstractEventLoop, engine: Engine) -> None:
    context = contextvars.copy_context()
    future = loop.run_in_executor(None, context.run, engine.run)
    try:
        await asyncio.shield(future)
    except asyncio.CancelledError:
        # Stop starting assets, let the running ones finish and their records land.
        engine.cancel()
        await asyncio.wait([future])
        raise


def _finish(
    store: MetadataStore, run_id: str, status: Status, steps: list[Step], kind: str, target: str
) -> None:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.status.value] = counts.get(step.status.value, 0) + 1
    error = None
    if status is not Status.SUCCESS:
        bad = [f"{s.label}: {s.status.value}" for s in steps if s.status is not Status.SUCCESS]
        error = "; ".join(bad[:20]) + (f"; and {len(bad) - 20} more" if len(bad) > 20 else "")
    store.finish_run(run_id, status, error)
    details: dict[str, Any] = {"run_id": run_id, "kind": kind, "status": status.value, **counts}
    store.audit("materialize", target, actor=_actor(), details=details)
