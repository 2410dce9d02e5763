"""materialize, materialize_all, backfill: values, records, lineage, failures, parallelism.

Run against SQLite and a real PostgreSQL (``any_store``).
"""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from flow.assets import (
    DailyPartitions,
    Definitions,
    StaticPartitions,
    asset,
    backfill,
    materialize,
    materialize_all,
    materialize_all_async,
    materialize_async,
)
from flow.errors import AssetDefinitionError, DependencyNotReady, PartitionError
from flow.events import subscribe
from flow.store import MetadataStore, Status


def _chain() -> Definitions:
    @asset
    def raw() -> list[int]:
        return [1, 2, 3]

    @asset(deps=["raw"])
    def doubled(raw: list[int]) -> list[int]:
        return [x * 2 for x in raw]

    @asset(deps=["doubled"])
    async def total(context: Any, doubled: list[int]) -> int:
        context.log.info("summing %s", doubled)
        return sum(doubled)

    return Definitions([raw, doubled, total])


def test_chain_values_records_lineage_and_audit(any_store: MetadataStore) -> None:
    defs = _chain()
    result = materialize_all(["total"], definitions=defs, store=any_store)
    assert result.ok, result.to_json()
    assert [r.asset_key for r in result.results] == ["raw", "doubled", "total"]
    run = any_store.get_run(result.run_id)
    assert run is not None
    assert run.status is Status.SUCCESS
    assert run.kind == "materialize_all"
    for item in result.results:
        assert item.materialization_id is not None
        stored = any_store.get_materialization(item.materialization_id)
        assert stored is not None
        assert stored.status is Status.SUCCESS
        assert stored.run_id == result.run_id
        assert stored.finished_at is not None
        assert stored.started_at <= stored.finished_at
        assert stored.duration is not None
        assert stored.duration >= 0
    ups = any_store.upstream("total", depth=5)
    assert {(n.asset_key, n.depth) for n in ups} == {("doubled", 1), ("raw", 2)}
    events = any_store.audit_events(action="materialize")
    assert events
    assert events[0].details is not None
    assert events[0].details["run_id"] == result.run_id
    # The downstream asset reads what its upstream stored (memory IO manager).
    again = materialize("total", definitions=defs, store=any_store)
    assert again.ok


def test_failure_skips_downstream_but_not_independent_branches(any_store: MetadataStore) -> None:
    @asset
    def source() -> int:
        return 1

    @asset(deps=["source"])
    def broken(source: int) -> int:
        raise ValueError(f"bad value {source}")

    @asset(deps=["broken"])
    def after(broken: int) -> int:
        return broken

    @asset(deps=["after"])
    def after_after(after: int) -> int:
        return after

    @asset(deps=["source"])
    def fine(source: int) -> int:
        return source + 1

    defs = Definitions([source, broken, after, after_after, fine])
    result = materialize_all(definitions=defs, store=any_store)
    assert result.status is Status.FAILED
    failed = result.get("broken")
    assert failed.status is Status.FAILED
    assert failed.error == "ValueError: bad value 1"
    assert failed.traceback is not None
    assert "raise ValueError" in failed.traceback
    assert result.get("fine").status is Status.SUCCESS
    for key in ("after", "after_after"):
        skipped = result.get(key)
        assert skipped.status is Status.SKIPPED
        assert skipped.error == "upstream broken failed"
    assert failed.materialization_id is not None
    stored = any_store.get_materialization(failed.materialization_id)
    assert stored is not None
    assert stored.status is Status.FAILED
    assert stored.traceback is not None
    assert "ValueError" in stored.traceback
    skipped_rows = any_store.list_materializations(status=Status.SKIPPED)
    assert {m.asset_key for m in skipped_rows} == {"after", "after_after"}
    run = any_store.get_run(result.run_id)
    assert run is not None
    assert run.status is Status.FAILED
    assert run.error is not None
    assert "broken: failed" in run.error
    with pytest.raises(Exception, match="broken"):
        result.raise_for_status()


def test_dependencies_not_ready_names_them(any_store: MetadataStore) -> None:
    defs = _chain()
    with pytest.raises(DependencyNotReady) as info:
        materialize("total", definitions=defs, store=any_store)
    assert "doubled (never materialized)" in str(info.value)
    assert not any_store.list_materializations()
    materialize_all(["doubled"], definitions=defs, store=any_store)
    assert materialize("total", definitions=defs, store=any_store).ok


def test_failed_upstream_is_not_ready(any_store: MetadataStore) -> None:
    attempts = []

    @asset
    def flaky() -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first time fails")
        return 5

    @asset(deps=["flaky"])
    def down(flaky: int) -> int:
        return flaky

    defs = Definitions([flaky, down])
    assert materialize("flaky", definitions=defs, store=any_store).status is Status.FAILED
    with pytest.raises(DependencyNotReady, match="latest is failed"):
        materialize("down", definitions=defs, store=any_store)
    assert materialize("flaky", definitions=defs, store=any_store).ok
    assert materialize("down", definitions=defs, store=any_store).ok


def test_optional_dependencies_arrive_as_none(store: MetadataStore) -> None:
    seen: dict[str, Any] = {}

    @asset
    def present() -> int:
        return 7

    @asset(optional_deps=["present", "absent"])
    def report(present: int | None, absent: int | None) -> int:
        seen["present"], seen["absent"] = present, absent
        return 0

    defs = Definitions([present, report])
    assert materialize("report", definitions=defs, store=store).ok
    assert seen == {"present": None, "absent": None}
    assert materialize_all(["report"], definitions=defs, store=store).ok
    assert seen == {"present": 7, "absent": None}


def test_parallel_bound_is_respected(store: MetadataStore) -> None:
    lock = threading.Lock()
    active = [0]
    peak = [0]
    barrier = threading.Barrier(2, timeout=10)

    def make(i: int) -> Any:
        def work() -> int:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            barrier.wait()  # proves two run at once (it breaks if they cannot)
            with lock:
                active[0] -= 1
            return i

        return asset(name=f"leaf_{i}", register=False)(work)

    defs = Definitions([make(i) for i in range(6)])
    result = materialize_all(definitions=defs, store=store, parallel=2)
    assert result.ok, result.to_json()
    assert peak[0] == 2


async def test_async_api_and_async_assets_run_on_the_callers_loop(store: MetadataStore) -> None:
    import asyncio

    loop = asyncio.get_running_loop()
    seen = []

    @asset
    async def on_loop() -> int:
        seen.append(asyncio.get_running_loop() is loop)
        return 1

    defs = Definitions([on_loop])
    result = await materialize_all_async(definitions=defs, store=store)
    assert result.ok
    assert seen == [True]
    single = await materialize_async("on_loop", definitions=defs, store=store)
    assert single.ok


def test_partitioned_materialize_and_context(any_store: MetadataStore) -> None:
    seen = []
    days = DailyPartitions("2026-01-01", timezone="Europe/Berlin")

    @asset(partitions=days)
    def daily(context: Any) -> str:
        seen.append(context.partition)
        return str(context.partition.isoformat())

    defs = Definitions([daily])
    result = materialize("daily", partition="2026-01-03", definitions=defs, store=any_store)
    assert result.ok
    assert seen == [date(2026, 1, 3)]
    assert result.partition_text == "d:2026-01-03"
    latest = any_store.latest_materialization("daily", "d:2026-01-03")
    assert latest is not None
    assert latest.status is Status.SUCCESS
    with pytest.raises(PartitionError, match="is partitioned"):
        materialize("daily", definitions=defs, store=any_store)
    with pytest.raises(PartitionError, match="before the start"):
        materialize("daily", partition="2025-01-01", definitions=defs, store=any_store)
    with pytest.raises(PartitionError, match="not a day"):
        materialize("daily", partition="yesterday", definitions=defs, store=any_store)


def test_backfill_skips_successes_and_force_recomputes(any_store: MetadataStore) -> None:
    calls: list[date] = []
    days = DailyPartitions("2026-01-01")

    @asset(partitions=days)
    def daily(context: Any) -> int:
        calls.append(context.partition)
        if context.partition == date(2026, 1, 3) and calls.count(context.partition) == 1:
            raise RuntimeError("third day fails once")
        return int(context.partition.day)

    defs = Definitions([daily])
    wanted = days.range("2026-01-01", "2026-01-05")
    first = backfill("daily", wanted, parallel=3, definitions=defs, store=any_store)
    assert first.status is Status.FAILED
    assert len(first.succeeded) == 4
    assert [r.partition for r in first.failed] == [date(2026, 1, 3)]
    second = backfill("daily", wanted, definitions=defs, store=any_store)
    assert second.ok
    assert [r.partition for r in second.results] == [date(2026, 1, 3)]
    assert len(second.already) == 4
    third = backfill("daily", wanted, definitions=defs, store=any_store)
    assert third.results == ()
    assert third.ok
    forced = backfill("daily", wanted, force=True, definitions=defs, store=any_store)
    assert len(forced.succeeded) == 5
    assert any_store.succeeded_partitions("daily") == {f"d:2026-01-0{d}" for d in range(1, 6)}
    with pytest.raises(PartitionError, match="list of keys"):
        backfill("daily", "2026-01-01..2026-01-02", definitions=defs, store=any_store)


def test_partitioned_downstream_reads_the_same_partition(store: MetadataStore) -> None:
    regions = StaticPartitions(["eu", "us"])

    @asset
    def rates() -> dict[str, float]:
        return {"eu": 1.1, "us": 1.0}

    @asset(partitions=regions, deps=["rates"])
    def sales(context: Any, rates: dict[str, float]) -> float:
        return 100 * rates[context.partition]

    @asset(partitions=regions, deps=["sales"])
    def report(sales: float) -> str:
        return f"{sales:.0f}"

    defs = Definitions([rates, sales, report])
    result = materialize_all(["report"], partition="us", definitions=defs, store=store)
    assert result.ok
    assert result.get("report", "s:us").status is Status.SUCCESS
    assert result.get("rates").partition_text is None
    with pytest.raises(DependencyNotReady, match=r"sales\[eu\]"):
        materialize("report", partition="eu", definitions=defs, store=store)


def test_io_manager_failures_are_named(store: MetadataStore) -> None:
    class Broken:
        def store(self, context: Any, value: Any) -> None:
            raise OSError("disk full")

        def load(self, context: Any) -> Any:
            raise OSError("unreadable")

    @asset(io_manager="broken", partitions=StaticPartitions(["x"]))
    def writes() -> int:
        return 1

    @asset(io_manager="nonexistent")
    def unknown() -> int:
        return 1

    @asset(io_manager="fs")
    def not_json() -> object:
        return object()

    defs = Definitions([writes, unknown, not_json], io_managers={"broken": Broken()})
    result = materialize_all(definitions=defs, store=store, partition="x")
    error = result.get("writes", "s:x").error or ""
    assert "io manager 'broken' failed to store asset 'writes' partition x" in error
    assert "disk full" in error
    assert "no io manager named 'nonexistent'" in (result.get("unknown").error or "")
    assert "not json-serializable" in (result.get("not_json").error or "")


def test_io_manager_load_failure_is_named(store: MetadataStore) -> None:
    @asset
    def up() -> int:
        return 1

    @asset(deps=["up"])
    def down(up: int) -> int:
        return up

    defs = Definitions([up, down])
    assert materialize("up", definitions=defs, store=store).ok
    from flow.assets.io_managers import clear_io_manager_cache

    clear_io_manager_cache()  # as if a new process: memory values are gone
    result = materialize("down", definitions=defs, store=store)
    assert result.status is Status.FAILED
    assert "io manager 'memory' has no value for asset 'up'" in (result.error or "")
    assert "needed for down" in (result.error or "")


def test_fs_values_survive_a_new_process(store: MetadataStore) -> None:
    @asset(io_manager="fs")
    def kept() -> dict[str, int]:
        return {"n": 1}

    @asset(deps=["kept"], io_manager="fs")
    def uses(kept: dict[str, int]) -> int:
        return kept["n"] + 1

    defs = Definitions([kept, uses], project_dir=store.url.split("///")[-1].rsplit("/.flow", 1)[0])
    assert materialize("kept", definitions=defs, store=store).ok
    from flow.assets.io_managers import clear_io_manager_cache

    clear_io_manager_cache()
    assert materialize("uses", definitions=defs, store=store).ok


def test_unknown_targets_and_events(store: MetadataStore) -> None:
    defs = _chain()
    with pytest.raises(AssetDefinitionError, match="did you mean 'total'"):
        materialize_all(["totl"], definitions=defs, store=store)
    seen = []
    unsubscribe = subscribe("assets.materialization", lambda event: seen.append(event.source))
    try:
        materialize_all(definitions=defs, store=store)
    finally:
        unsubscribe()
    assert seen == ["raw", "doubled", "total"]


def test_default_registry_and_project_store(project: Any) -> None:
    @asset
    def registered() -> int:
        return 1

    result = materialize_all(["registered"])
    assert result.ok
    assert (project / ".flow" / "flow.db").is_file()


async def test_cancelling_a_run_finishes_running_assets_and_skips_the_rest(
    store: MetadataStore,
) -> None:
    import asyncio

    started = threading.Event()
    release = threading.Event()

    @asset
    def slow() -> int:
        started.set()
        release.wait(30)
        return 1

    @asset(deps=["slow"])
    def later(slow: int) -> int:
        return slow

    defs = Definitions([slow, later])
    # The slow asset finishes only once the run has seen the cancellation.
    unsubscribe = subscribe("assets.run_cancelled", lambda event: release.set())
    try:
        task = asyncio.create_task(materialize_all_async(definitions=defs, store=store))
        assert await asyncio.to_thread(started.wait, 30)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        unsubscribe()
        release.set()
    rows = {m.asset_key: m for m in store.list_materializations()}
    assert rows["slow"].status is Status.SUCCESS
    assert rows["later"].status is Status.SKIPPED
    assert rows["later"].error == "the run was cancelled"
    run = store.get_run(rows["later"].run_id)
    assert run is not None
    assert run.status is Status.FAILED


async def test_sync_api_inside_a_running_loop(store: MetadataStore) -> None:
    @asset
    def plain() -> int:
        return 1

    result = materialize("plain", definitions=Definitions([plain]), store=store)
    assert result.ok


def test_multi_partitioned_asset_with_dict_key(store: MetadataStore) -> None:
    grid = StaticPartitions(["a", "b"])
    from flow.assets import MultiPartitions

    multi = MultiPartitions({"date": DailyPartitions("2026-01-01"), "region": grid})
    seen = []

    @asset(partitions=multi)
    def cell(context: Any) -> int:
        seen.append(context.partition)
        return 1

    defs = Definitions([cell])
    result = materialize(
        "cell", partition={"region": "b", "date": date(2026, 1, 2)}, definitions=defs, store=store
    )
    assert result.ok
    assert seen == [(date(2026, 1, 2), "b")]
    assert materialize("cell", partition="2026-01-02|b", definitions=defs, store=store).ok
    assert len(store.list_materializations(asset_key="cell")) == 2
    assert store.succeeded_partitions("cell") == {result.partition_text}
