"""Runs and materializations on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flow.clock import FakeClock
from flow.errors import UnknownRecordError
from flow.store import MaterializationRecord, MetadataStore, Status

from .conftest import T0

START = datetime.fromtimestamp(T0, UTC)


def test_run_life_cycle(store: MetadataStore, clock: FakeClock) -> None:
    rid = store.create_run(kind="backfill", target="daily_sales", tags={"who": "ci"})
    run = store.get_run(rid)
    assert run is not None
    assert (run.kind, run.target, run.status, run.tags) == (
        "backfill",
        "daily_sales",
        "running",
        {"who": "ci"},
    )
    assert run.started_at == START
    assert run.started_at.tzinfo is UTC
    clock.advance(5)
    store.finish_run(rid, Status.FAILED, error="boom")
    run = store.get_run(rid)
    assert run is not None
    assert run.status is Status.FAILED
    assert run.error == "boom"
    assert run.finished_at == START + timedelta(seconds=5)


def test_run_ids_are_generated_and_reusable(store: MetadataStore) -> None:
    first = store.create_run(kind="materialize", target="a")
    second = store.create_run(kind="materialize", target="a")
    assert first != second
    assert len(first) == 32
    assert store.create_run(kind="x", target="y", run_id=first) == first
    run = store.get_run(first)
    assert run is not None
    assert run.kind == "materialize"


def test_unknown_run(store: MetadataStore) -> None:
    assert store.get_run("nope") is None
    with pytest.raises(UnknownRecordError, match="nope"):
        store.finish_run("nope", Status.SUCCESS)
    with pytest.raises(UnknownRecordError, match="create_run first"):
        store.start_materialization(run_id="nope", asset_key="a", partition=None)


def test_materialization_life_cycle(store: MetadataStore, clock: FakeClock) -> None:
    rid = store.create_run(kind="materialize", target="a")
    mid = store.start_materialization(run_id=rid, asset_key="a", partition="s:eu")
    running = store.get_materialization(mid)
    assert running is not None
    assert (running.status, running.partition, running.finished_at) == (
        Status.RUNNING,
        "s:eu",
        None,
    )
    clock.advance(2.5)
    store.finish_materialization(
        mid,
        status=Status.FAILED,
        error="ValueError: x",
        traceback="Traceback...",
        metadata={"n": 1},
    )
    done = store.get_materialization(mid)
    assert done is not None
    assert done.status is Status.FAILED
    assert done.started_at == START
    assert done.finished_at == START + timedelta(seconds=2.5)
    assert done.duration == pytest.approx(2.5)
    assert (done.error, done.traceback, done.metadata) == (
        "ValueError: x",
        "Traceback...",
        {"n": 1},
    )
    assert done.finished_at is not None
    assert done.finished_at.tzinfo is UTC


def test_finish_from_another_store_computes_duration(
    store: MetadataStore, store_url: str, clock: FakeClock
) -> None:
    rid = store.create_run(kind="materialize", target="a")
    mid = store.start_materialization(run_id=rid, asset_key="a", partition=None)
    clock.advance(3)
    with MetadataStore.open(store_url, clock=clock) as other:  # no cached start time there
        other.finish_materialization(mid, status=Status.SUCCESS)
    done = store.get_materialization(mid)
    assert done is not None
    assert done.duration == pytest.approx(3)


def test_unknown_materialization(store: MetadataStore) -> None:
    assert store.get_materialization(999) is None
    with pytest.raises(UnknownRecordError, match="999"):
        store.finish_materialization(999, status=Status.SUCCESS)
    with pytest.raises(UnknownRecordError, match="999"):
        store.set_status(999, Status.SKIPPED)


def test_set_status(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize", target="a")
    mid = store.start_materialization(run_id=rid, asset_key="a", partition=None)
    store.set_status(mid, Status.WAITING_APPROVAL)
    m = store.get_materialization(mid)
    assert m is not None
    assert m.status is Status.WAITING_APPROVAL
    assert m.finished_at is None


def test_bad_partitions_and_keys_are_refused(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize", target="a")
    with pytest.raises(ValueError, match="partition"):
        store.start_materialization(run_id=rid, asset_key="a", partition="")
    with pytest.raises(ValueError, match="asset_key"):
        store.start_materialization(run_id=rid, asset_key="", partition=None)


def _seed(store: MetadataStore, clock: FakeClock) -> str:
    rid = store.create_run(kind="backfill", target="a")
    for asset, part, status in [
        ("a", "d:1", Status.SUCCESS),
        ("a", "d:1", Status.FAILED),  # newer: the latest for a/d:1
        ("a", "d:2", Status.FAILED),
        ("a", "d:2", Status.SUCCESS),
        ("a", None, Status.SKIPPED),
        ("b", None, Status.SUCCESS),
    ]:
        clock.advance(1)
        mid = store.start_materialization(run_id=rid, asset_key=asset, partition=part)
        store.finish_materialization(mid, status=status)
    return rid


def test_latest_and_succeeded(store: MetadataStore, clock: FakeClock) -> None:
    rid = _seed(store, clock)
    latest = store.latest_materialization("a", "d:1")
    assert latest is not None
    assert latest.status is Status.FAILED
    unpartitioned = store.latest_materialization("a")
    assert unpartitioned is not None
    assert unpartitioned.status is Status.SKIPPED
    assert store.latest_materialization("zzz") is None
    assert store.succeeded_partitions("a") == {"d:1", "d:2"}
    assert store.succeeded_partitions("b") == {None}
    statuses = store.latest_statuses(["a"])
    assert {k: m.status for k, m in statuses.items()} == {
        ("a", "d:1"): Status.FAILED,
        ("a", "d:2"): Status.SUCCESS,
        ("a", None): Status.SKIPPED,
    }
    assert set(store.latest_statuses()) == {("a", "d:1"), ("a", "d:2"), ("a", None), ("b", None)}
    assert store.latest_statuses([]) == {}
    listed = store.list_materializations(asset_key="a", status=Status.FAILED)
    assert [m.partition for m in listed] == ["d:2", "d:1"]  # newest first
    assert len(store.list_materializations(run_id=rid, limit=2)) == 2
    assert store.list_materializations(run_id="other") == []


def test_record_materializations_batch(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize_all", target="*")
    t = START
    rows = [
        MaterializationRecord(rid, "raw", None, Status.SUCCESS, t, t + timedelta(seconds=1)),
        MaterializationRecord(
            rid,
            "clean",
            "d:1",
            Status.FAILED,
            t,
            t + timedelta(seconds=2),
            error="E",
            traceback="TB",
            metadata={"k": [1, 2]},
            upstream=(("raw", None), ("raw", None)),
        ),
    ]
    ids = store.record_materializations(rows)
    assert len(ids) == 2
    assert ids[1] > ids[0]
    clean = store.get_materialization(ids[1])
    assert clean is not None
    assert (clean.asset_key, clean.partition, clean.status) == ("clean", "d:1", Status.FAILED)
    assert clean.duration == pytest.approx(2)
    assert clean.metadata == {"k": [1, 2]}
    assert clean.started_at == t
    assert clean.finished_at == t + timedelta(seconds=2)
    assert [(n.asset_key, n.depth) for n in store.downstream("raw")] == [("clean", 1)]
    assert store.record_materializations([]) == []
    with pytest.raises(UnknownRecordError, match="create_run"):
        store.record_materializations(
            [MaterializationRecord("nope", "x", None, Status.SUCCESS, t, t)]
        )
    assert store.latest_materialization("x") is None  # the failed batch left nothing behind


def test_naive_datetimes_are_refused(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize", target="a")
    naive = datetime(2024, 1, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        store.record_materializations(
            [MaterializationRecord(rid, "a", None, Status.SUCCESS, naive, naive)]
        )


def test_non_utc_datetimes_come_back_utc(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize", target="a")
    tz = datetime(2024, 3, 1, 12, 0, tzinfo=UTC).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    [mid] = store.record_materializations(
        [MaterializationRecord(rid, "a", None, Status.SUCCESS, tz, tz)]
    )
    got = store.get_materialization(mid)
    assert got is not None
    assert got.started_at.tzinfo is UTC
    assert got.started_at == datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
