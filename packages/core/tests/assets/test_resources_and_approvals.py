"""Resources through ctx and Definitions; WaitForApproval and resume."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flow.assets import Definitions, WaitForApproval, asset, materialize, materialize_all, resume
from flow.assets.execution import materialize_all_async
from flow.errors import AssetError, ResourceError
from flow.state import State, ctx
from flow.store import ApprovalStatus, MetadataStore, Status


class DbConfig(State):
    url: str


class Connection:
    def __init__(self) -> None:
        self.closed = False
        opened.append(self)

    def close(self) -> None:
        self.closed = True


class Broken:
    def __init__(self) -> None:
        raise ConnectionRefusedError("port 1 refused")


opened: list[Connection] = []


def test_resources_from_definitions_are_made_and_closed(store: MetadataStore) -> None:
    opened.clear()
    seen: dict[str, Any] = {}

    @asset(resources=[DbConfig, Connection])
    def uses(context: Any) -> str:
        seen["config"] = context.resource(DbConfig)
        seen["conn"] = context.resource(Connection)
        seen["via_ctx"] = ctx.state(DbConfig)
        return "ok"

    defs = Definitions(
        [uses], resources={DbConfig: DbConfig(url="sqlite://"), Connection: Connection}
    )
    assert materialize("uses", definitions=defs, store=store).ok
    assert seen["config"].url == "sqlite://"
    assert seen["via_ctx"] is seen["config"]
    assert seen["conn"] is opened[0]
    assert opened[0].closed


def test_a_failing_resource_fails_only_the_assets_that_need_it(store: MetadataStore) -> None:
    @asset(resources=[Broken])
    def needs_broken() -> int:
        return 1

    @asset(deps=["needs_broken"])
    def downstream(needs_broken: int) -> int:
        return needs_broken

    @asset
    def independent() -> int:
        return 2

    @asset(resources=[DbConfig])
    def needs_missing() -> int:
        return 3

    defs = Definitions(
        [needs_broken, downstream, independent, needs_missing], resources={Broken: Broken}
    )
    result = materialize_all(definitions=defs, store=store)
    failed = result.get("needs_broken")
    assert failed.status is Status.FAILED
    assert "resource Broken failed to set up: ConnectionRefusedError: port 1 refused" in (
        failed.error or ""
    )
    assert result.get("downstream").status is Status.SKIPPED
    assert result.get("independent").ok
    assert "resource DbConfig is not provided" in (result.get("needs_missing").error or "")


async def test_resources_from_the_callers_scope_and_context_managers(
    store: MetadataStore,
) -> None:
    events: list[str] = []

    @contextmanager
    def session() -> Iterator[Connection]:
        events.append("enter")
        yield Connection()
        events.append("exit")

    @asset(resources=[DbConfig, Connection])
    def uses(context: Any) -> str:
        events.append("run")
        return str(context.resource(DbConfig).url)

    defs = Definitions([uses], resources={Connection: session})
    async with ctx.scope("app", DbConfig(url="from-scope")):
        result = await materialize_all_async(definitions=defs, store=store)
    assert result.ok
    assert events == ["enter", "run", "exit"]


def test_resources_reach_every_worker_thread(store: MetadataStore) -> None:
    import threading

    barrier = threading.Barrier(3, timeout=10)
    seen: list[str] = []

    def make(i: int) -> Any:
        def work(context: Any) -> int:
            barrier.wait()  # three assets at once: helpers threads are in use
            seen.append(ctx.state(DbConfig).url + context.resource(DbConfig).url)
            return i

        return asset(name=f"w{i}", resources=[DbConfig], register=False)(work)

    defs = Definitions([make(i) for i in range(3)], resources=[DbConfig(url="u")])
    assert materialize_all(definitions=defs, store=store, parallel=3).ok
    assert seen == ["uu"] * 3


def test_undeclared_resource_is_a_clear_error(store: MetadataStore) -> None:
    @asset
    def sneaky(context: Any) -> int:
        context.resource(DbConfig)
        return 1

    result = materialize("sneaky", definitions=Definitions([sneaky]), store=store)
    assert result.status is Status.FAILED
    assert "asked for resource DbConfig, which it did not declare" in (result.error or "")
    with pytest.raises(ResourceError, match="did not declare"):
        sneaky.fn(_context_without_resources())


def _context_without_resources() -> Any:
    import logging

    from flow.assets import AssetContext

    return AssetContext("sneaky", None, None, "r", logging.getLogger("t"), {})


def _approval_defs() -> Definitions:
    @asset
    def data() -> int:
        return 41

    @asset(deps=["data"], io_manager="fs")
    def publish(context: Any, data: int) -> int:
        if context.approval is None:
            raise WaitForApproval(f"publish {data} rows?", timeout=3600)
        return data + 1

    @asset(deps=["publish"])
    def announce(publish: int) -> str:
        return f"published {publish}"

    @asset
    def returns_wait() -> Any:
        return WaitForApproval("returned, not raised")

    return Definitions([data, publish, announce, returns_wait])


def test_wait_for_approval_persists_and_skips_downstream(store: MetadataStore) -> None:
    defs = _approval_defs()
    result = materialize_all(definitions=defs, store=store)
    assert result.status is Status.WAITING_APPROVAL
    waiting = result.get("publish")
    assert waiting.status is Status.WAITING_APPROVAL
    assert waiting.approval_id is not None
    assert result.get("announce").status is Status.SKIPPED
    assert result.get("announce").error == "waiting for approval of publish"
    assert result.get("returns_wait").status is Status.WAITING_APPROVAL
    pending = store.list_approvals("pending")
    assert {a.asset_key for a in pending} == {"publish", "returns_wait"}
    approval = store.get_approval(waiting.approval_id)
    assert approval is not None
    assert approval.reason == "publish 41 rows?"
    assert approval.expires_at is not None
    assert waiting.materialization_id is not None
    stored = store.get_materialization(waiting.materialization_id)
    assert stored is not None
    assert stored.status is Status.WAITING_APPROVAL
    assert store.audit_events(action="approval_requested")
    with pytest.raises(AssetError, match="waiting for approval"):
        materialize("publish", definitions=defs, store=store)


def test_resume_after_approval_and_rejection(store: MetadataStore) -> None:
    defs = _approval_defs()
    result = materialize_all(definitions=defs, store=store)
    waiting = result.get("publish")
    assert waiting.approval_id is not None
    assert waiting.materialization_id is not None
    decided = store.decide_approval(waiting.approval_id, approved=True, actor="alice")
    resumed = resume(waiting.materialization_id, approval=decided, definitions=defs, store=store)
    assert resumed.ok
    assert resumed.materialization_id == waiting.materialization_id
    stored = store.get_materialization(waiting.materialization_id)
    assert stored is not None
    assert stored.status is Status.SUCCESS
    assert {n.asset_key for n in store.upstream("publish")} == {"data"}
    assert materialize("announce", definitions=defs, store=store).ok
    with pytest.raises(AssetError, match="not waiting"):
        resume(waiting.materialization_id, approval=decided, definitions=defs, store=store)

    other = result.get("returns_wait")
    assert other.approval_id is not None
    assert other.materialization_id is not None
    rejected = store.decide_approval(
        other.approval_id, approved=False, actor="bob", reason="not today"
    )
    assert rejected.status is ApprovalStatus.REJECTED
    failed = resume(other.materialization_id, approval=rejected, definitions=defs, store=store)
    assert failed.status is Status.FAILED
    assert failed.error == f"approval {other.approval_id} rejected by bob: not today"
    stored = store.get_materialization(other.materialization_id)
    assert stored is not None
    assert stored.status is Status.FAILED


def test_force_recomputes_a_waiting_asset(store: MetadataStore) -> None:
    defs = _approval_defs()
    materialize_all(["data"], definitions=defs, store=store)
    first = materialize("publish", definitions=defs, store=store)
    assert first.status is Status.WAITING_APPROVAL
    second = materialize("publish", definitions=defs, store=store, force=True)
    assert second.status is Status.WAITING_APPROVAL
    assert second.materialization_id != first.materialization_id
    with pytest.raises(ValueError, match="reason"):
        WaitForApproval("")
    with pytest.raises(ValueError, match="positive"):
        WaitForApproval("x", timeout=-1)
