"""Schedules, audit events and watermarks, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flow.clock import FakeClock
from flow.errors import UnknownRecordError
from flow.store import MetadataStore

from .conftest import T0

NOW = datetime.fromtimestamp(T0, UTC)


def test_schedule_save_fire_update(store: MetadataStore, clock: FakeClock) -> None:
    first = NOW + timedelta(hours=1)
    store.save_schedule("nightly", cron="0 2 * * *", timezone="Europe/Paris", next_fire_at=first)
    got = store.get_schedule("nightly")
    assert got is not None
    assert (got.cron, got.timezone, got.enabled, got.last_fired_at) == (
        "0 2 * * *",
        "Europe/Paris",
        True,
        None,
    )
    assert got.next_fire_at == first
    assert got.next_fire_at is not None
    assert got.next_fire_at.tzinfo is UTC
    clock.advance(3600)
    store.record_fire("nightly", fired_at=first, next_fire_at=first + timedelta(days=1))
    fired = store.get_schedule("nightly")
    assert fired is not None
    assert fired.last_fired_at == first
    assert fired.next_fire_at == first + timedelta(days=1)
    assert fired.updated_at == NOW + timedelta(hours=1)
    # Saving again (e.g. disabled, new cron) keeps last_fired_at.
    store.save_schedule(
        "nightly", cron="0 3 * * *", timezone="UTC", next_fire_at=None, enabled=False
    )
    changed = store.get_schedule("nightly")
    assert changed is not None
    assert (changed.cron, changed.enabled, changed.next_fire_at, changed.last_fired_at) == (
        "0 3 * * *",
        False,
        None,
        first,
    )


def test_schedule_list_and_errors(store: MetadataStore) -> None:
    local = datetime(2024, 6, 1, 2, 0, tzinfo=ZoneInfo("Europe/Paris"))
    store.save_schedule("b", cron="@hourly", timezone="UTC", next_fire_at=local)
    store.save_schedule("a", cron="@daily", timezone="UTC", next_fire_at=None)
    assert [s.name for s in store.list_schedules()] == ["a", "b"]
    b = store.get_schedule("b")
    assert b is not None
    assert b.next_fire_at == datetime(2024, 6, 1, 0, 0, tzinfo=UTC)
    assert store.get_schedule("zzz") is None
    with pytest.raises(UnknownRecordError, match="save_schedule first"):
        store.record_fire("zzz", fired_at=NOW, next_fire_at=None)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_fire("a", fired_at=datetime(2024, 1, 1), next_fire_at=None)


def test_audit_events(store: MetadataStore, clock: FakeClock) -> None:
    store.audit("materialize", "report", actor="ana", details={"run_id": "r1", "n": [1, 2]})
    clock.advance(1)
    store.audit("approve", "approval:7", actor="bo")
    clock.advance(1)
    store.audit("materialize", "clean")
    events = store.audit_events()
    assert [(e.action, e.target) for e in events] == [
        ("materialize", "clean"),
        ("approve", "approval:7"),
        ("materialize", "report"),
    ]
    assert events[2].details == {"run_id": "r1", "n": [1, 2]}
    assert events[2].actor == "ana"
    assert events[0].at == NOW + timedelta(seconds=2)
    assert events[0].at.tzinfo is UTC
    assert [e.target for e in store.audit_events(action="materialize", limit=1)] == ["clean"]
    assert [e.action for e in store.audit_events(target="approval:7")] == ["approve"]
    with pytest.raises(ValueError, match="action"):
        store.audit("", "x")


def test_watermarks(store: MetadataStore) -> None:
    assert store.get_watermark("orders", "updated_at") is None
    store.set_watermark("orders", "updated_at", "2024-01-01T00:00:00Z")
    store.set_watermark("orders", "updated_at", "2024-02-01T00:00:00Z")
    store.set_watermark("users", "updated_at", "7")
    assert store.get_watermark("orders", "updated_at") == "2024-02-01T00:00:00Z"
    assert store.get_watermark("users", "updated_at") == "7"
    with pytest.raises(TypeError, match="string"):
        store.set_watermark("users", "id", 7)  # type: ignore[arg-type]
