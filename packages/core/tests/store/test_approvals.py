"""Approvals: life cycle, decisions, expiry and errors, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flow.clock import FakeClock
from flow.errors import ApprovalError
from flow.store import ApprovalStatus, MetadataStore, Status

from .conftest import T0

NOW = datetime.fromtimestamp(T0, UTC)


def _waiting(store: MetadataStore, *, expires_at: datetime | None = None) -> int:
    rid = store.create_run(kind="materialize", target="report")
    mid = store.start_materialization(run_id=rid, asset_key="report", partition="d:1")
    store.set_status(mid, Status.WAITING_APPROVAL)
    return store.create_approval(
        materialization_id=mid,
        asset_key="report",
        partition="d:1",
        reason="numbers moved 40%",
        expires_at=expires_at,
    )


def test_approve(store: MetadataStore, clock: FakeClock) -> None:
    aid = _waiting(store)
    pending = store.get_approval(aid)
    assert pending is not None
    assert pending.status is ApprovalStatus.PENDING
    assert pending.reason == "numbers moved 40%"
    assert pending.created_at == NOW
    assert pending.partition == "d:1"
    assert [a.id for a in store.list_approvals()] == [aid]
    clock.advance(60)
    decided = store.decide_approval(aid, approved=True, actor="ana", reason="expected")
    assert decided.approved
    assert decided.status == "approved"
    assert (decided.actor, decided.decision_reason) == ("ana", "expected")
    assert decided.decided_at == NOW + timedelta(seconds=60)
    assert store.list_approvals() == []
    assert [a.id for a in store.list_approvals("approved")] == [aid]
    assert [a.id for a in store.list_approvals(None)] == [aid]


def test_reject_then_decide_again_fails(store: MetadataStore) -> None:
    aid = _waiting(store)
    rejected = store.decide_approval(aid, approved=False, actor="bo")
    assert rejected.status is ApprovalStatus.REJECTED
    assert not rejected.approved
    with pytest.raises(ApprovalError, match=r"already rejected by bo"):
        store.decide_approval(aid, approved=True, actor="ana")
    again = store.get_approval(aid)
    assert again is not None
    assert again.status is ApprovalStatus.REJECTED
    assert again.actor == "bo"


def test_unknown_approval(store: MetadataStore) -> None:
    assert store.get_approval(404) is None
    with pytest.raises(ApprovalError, match="no approval with id 404"):
        store.decide_approval(404, approved=True, actor="ana")


def test_expiry(store: MetadataStore, clock: FakeClock) -> None:
    soon = _waiting(store, expires_at=NOW + timedelta(minutes=5))
    later = _waiting(store, expires_at=NOW + timedelta(hours=5))
    never = _waiting(store)
    assert store.expire_approvals(NOW + timedelta(minutes=4)) == []
    expired = store.expire_approvals(NOW + timedelta(minutes=5))
    assert [a.id for a in expired] == [soon]
    assert expired[0].status is ApprovalStatus.EXPIRED
    assert store.expire_approvals(NOW + timedelta(minutes=5)) == []  # only once
    assert {a.id for a in store.list_approvals()} == {later, never}
    with pytest.raises(ApprovalError, match="already expired"):
        store.decide_approval(soon, approved=True, actor="ana")


def test_deciding_past_expiry_marks_expired(store: MetadataStore, clock: FakeClock) -> None:
    aid = _waiting(store, expires_at=NOW + timedelta(seconds=10))
    clock.advance(11)
    with pytest.raises(ApprovalError, match="expired"):
        store.decide_approval(aid, approved=True, actor="ana")
    got = store.get_approval(aid)
    assert got is not None
    assert got.status is ApprovalStatus.EXPIRED


def test_bad_status_and_naive_expiry(store: MetadataStore) -> None:
    with pytest.raises(ValueError, match="unknown approval status 'done'"):
        store.list_approvals("done")
    with pytest.raises(ValueError, match="timezone-aware"):
        _waiting(store, expires_at=datetime(2030, 1, 1))
