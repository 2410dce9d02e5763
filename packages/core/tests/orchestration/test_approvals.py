"""approve resumes (the asset sees the decision), reject fails, expiry, and the refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flow.assets import Definitions, WaitForApproval, asset, materialize, materialize_all
from flow.assets.approvals import APPROVAL_EXPIRED, approve, expire_due, reject
from flow.errors import ApprovalError
from flow.store import ApprovalStatus, MetadataStore, Status


def _gated(seen: list[Any], timeout: float | None = None) -> Definitions:
    @asset
    def source() -> int:
        return 20

    @asset(deps=["source"])
    def publish(context: Any, source: int) -> int:
        seen.append(context.approval)
        if context.approval is None:
            raise WaitForApproval(f"publish {source} rows?", timeout=timeout)
        return source * 2

    @asset(deps=["publish"])
    def announce(publish: int) -> str:
        return f"published {publish}"

    return Definitions([source, publish, announce])


def _waiting(store: MetadataStore, defs: Definitions) -> tuple[int, str]:
    run = materialize_all(["publish"], definitions=defs, store=store)
    assert run.status is Status.WAITING_APPROVAL
    (pending,) = store.list_approvals("pending")
    return pending.id, run.run_id


def test_approve_resumes_and_the_asset_sees_the_decision(store: MetadataStore) -> None:
    seen: list[Any] = []
    defs = _gated(seen)
    approval_id, run_id = _waiting(store, defs)

    result = approve(
        approval_id, actor="alice", reason="looks right", definitions=defs, store=store
    )

    assert result.status is Status.SUCCESS
    decision = seen[-1]
    assert decision is not None
    assert decision.approved
    assert (decision.actor, decision.decision_reason) == ("alice", "looks right")
    materialization = store.get_materialization(result.materialization_id or -1)
    assert materialization is not None
    assert materialization.status is Status.SUCCESS
    assert store.get_approval(approval_id).status is ApprovalStatus.APPROVED  # type: ignore[union-attr]
    (event,) = store.audit_events(action="approve")
    assert (event.actor, event.target) == ("alice", "publish")
    assert event.details is not None
    assert event.details["approval_id"] == approval_id
    run = store.get_run(run_id)
    assert run is not None
    assert run.status is Status.SUCCESS
    # The downstream asset can now run on the approved value.
    assert materialize("announce", definitions=defs, store=store).ok


def test_reject_fails_the_materialization_without_running_the_asset(store: MetadataStore) -> None:
    seen: list[Any] = []
    defs = _gated(seen)
    approval_id, run_id = _waiting(store, defs)
    calls = len(seen)

    decided = reject(approval_id, actor="bob", reason="numbers are off", store=store)

    assert decided.status is ApprovalStatus.REJECTED
    assert decided.actor == "bob"
    assert len(seen) == calls  # the asset was not run again
    failed = store.get_materialization(decided.materialization_id)
    assert failed is not None
    assert failed.status is Status.FAILED
    assert failed.error == "rejected by bob: numbers are off"
    (event,) = store.audit_events(action="reject")
    assert event.actor == "bob"
    assert event.details is not None
    assert event.details["reason"] == "numbers are off"
    run = store.get_run(run_id)
    assert run is not None
    assert run.status is Status.FAILED


def test_reject_without_reason_names_the_actor(store: MetadataStore) -> None:
    approval_id, _ = _waiting(store, _gated([]))
    decided = reject(approval_id, actor="carol", store=store)
    failed = store.get_materialization(decided.materialization_id)
    assert failed is not None
    assert failed.error == "rejected by carol"


def test_expire_due_fails_waiting_materializations(store: MetadataStore) -> None:
    defs = _gated([], timeout=60)
    approval_id, run_id = _waiting(store, defs)

    assert expire_due(datetime.now(UTC), store=store) == []  # not yet due
    expired = expire_due(datetime.now(UTC) + timedelta(minutes=2), store=store)

    assert [a.id for a in expired] == [approval_id]
    assert store.get_approval(approval_id).status is ApprovalStatus.EXPIRED  # type: ignore[union-attr]
    failed = store.get_materialization(expired[0].materialization_id)
    assert failed is not None
    assert failed.status is Status.FAILED
    assert failed.error == APPROVAL_EXPIRED
    assert [e.target for e in store.audit_events(action="expire")] == ["publish"]
    run = store.get_run(run_id)
    assert run is not None
    assert run.status is Status.FAILED
    # Expiring again finds nothing and records nothing more.
    assert expire_due(datetime.now(UTC) + timedelta(minutes=3), store=store) == []
    assert len(store.audit_events(action="expire")) == 1


def test_deciding_twice_is_refused(store: MetadataStore) -> None:
    defs = _gated([])
    approval_id, _ = _waiting(store, defs)
    approve(approval_id, actor="alice", definitions=defs, store=store)

    with pytest.raises(ApprovalError, match="already approved by alice"):
        approve(approval_id, actor="bob", definitions=defs, store=store)
    with pytest.raises(ApprovalError, match="already approved by alice"):
        reject(approval_id, actor="bob", store=store)
    assert [e.actor for e in store.audit_events(action="approve")] == ["alice"]
    assert store.audit_events(action="reject") == []


def test_unknown_approval_ids_are_refused(store: MetadataStore) -> None:
    with pytest.raises(ApprovalError, match="no approval with id 4242"):
        approve(4242, definitions=Definitions([]), store=store)
    with pytest.raises(ApprovalError, match="4242"):
        reject(4242, store=store)


def test_an_approval_past_its_timeout_cannot_be_approved(
    store: MetadataStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[Any] = []
    defs = _gated(seen, timeout=0.001)
    approval_id, _ = _waiting(store, defs)
    deadline = store.get_approval(approval_id).expires_at  # type: ignore[union-attr]
    assert deadline is not None
    while datetime.now(UTC) <= deadline:  # a millisecond; the deadline is real time
        pass
    calls = len(seen)

    with pytest.raises(ApprovalError, match="expired"):
        approve(approval_id, actor="alice", definitions=defs, store=store)

    assert len(seen) == calls
    found = store.get_approval(approval_id)
    assert found is not None
    assert found.status is ApprovalStatus.EXPIRED
    failed = store.get_materialization(found.materialization_id)
    assert failed is not None
    assert failed.status is Status.FAILED
    assert failed.error == APPROVAL_EXPIRED
    assert len(store.audit_events(action="expire")) == 1
    with pytest.raises(ApprovalError, match="expired"):
        reject(approval_id, actor="alice", store=store)


def test_approve_refuses_when_the_asset_is_not_loaded(store: MetadataStore) -> None:
    approval_id, _ = _waiting(store, _gated([]))

    with pytest.raises(ApprovalError, match="'publish', which is not among the loaded assets"):
        approve(approval_id, actor="alice", definitions=Definitions([]), store=store)

    # Nothing was decided: it can still be approved once the asset is found.
    assert store.get_approval(approval_id).status is ApprovalStatus.PENDING  # type: ignore[union-attr]


def test_an_approved_asset_may_fail_and_the_run_records_it(store: MetadataStore) -> None:
    @asset
    def risky(context: Any) -> int:
        if context.approval is None:
            raise WaitForApproval("go?")
        raise RuntimeError("disk full")

    defs = Definitions([risky])
    run = materialize_all(definitions=defs, store=store)
    (pending,) = store.list_approvals()

    result = approve(pending.id, actor="alice", definitions=defs, store=store)

    assert result.status is Status.FAILED
    assert "disk full" in (result.error or "")
    finished = store.get_run(run.run_id)
    assert finished is not None
    assert finished.status is Status.FAILED
