"""The csv store: replace, append, merge, header options, locking and crash leftovers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
import pytest
from flow.dataflows.protocols import EntitySpec
from flow_io_csv import CsvConfigError, CsvDataError, CsvError
from flow_io_csv.store import CsvStore

Make = Callable[..., EntitySpec]


def batch(ids: list[int], tag: str = "a") -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"id": pa.array(ids, pa.int64()), "v": [f"{tag}{i}" for i in ids]}
    )


async def run(spec: EntitySpec, *batches: pa.RecordBatch, full_refresh: bool = False) -> Any:
    store = CsvStore(spec)
    await store.begin(full_refresh=full_refresh)
    for b in batches:
        await store.write(b)
    return await store.publish()


def published(spec: EntitySpec) -> str:
    return spec.resolve("out/orders.csv").read_text()


async def test_replace_publishes_only_the_run(make_spec: Make) -> None:
    spec = make_spec()
    await run(spec, batch([1, 2]))
    result = await run(spec, batch([3]))
    assert published(spec) == '"id","v"\n3,"a3"\n'
    assert result.rows == 1
    assert result.bytes == len(published(spec))


async def test_append_adds_after_the_published_rows_with_one_header(make_spec: Make) -> None:
    spec = make_spec(store={"mode": "append"})
    await run(spec, batch([1, 2]))
    await run(spec, batch([3]), batch([4]))
    await run(spec)  # nothing new: the file stays as it is
    assert published(spec) == '"id","v"\n1,"a1"\n2,"a2"\n3,"a3"\n4,"a4"\n'


async def test_append_refuses_a_file_with_other_columns(make_spec: Make) -> None:
    spec = make_spec(store={"mode": "append"})
    path = spec.resolve("out/orders.csv")
    path.parent.mkdir(parents=True)
    path.write_text('"id","other"\n1,2\n')
    with pytest.raises(CsvDataError, match="header differs"):
        await run(spec, batch([3]))
    assert path.read_text() == '"id","other"\n1,2\n'
    assert sorted(p.name for p in path.parent.iterdir()) == [".orders.csv.flow-lock", "orders.csv"]


async def test_full_refresh_replaces_an_appended_file(make_spec: Make) -> None:
    spec = make_spec(store={"mode": "append"})
    await run(spec, batch([1, 2]))
    await run(spec, batch([3]), full_refresh=True)
    assert published(spec) == '"id","v"\n3,"a3"\n'


async def test_headerless_delimited_unquoted_output(make_spec: Make) -> None:
    spec = make_spec(store={"header": False, "delimiter": "|", "quoting": "none"})
    await run(spec, batch([1, 2]))
    assert published(spec) == "1|a1\n2|a2\n"


async def test_merge_with_a_composite_key_and_headerless_file(make_spec: Make) -> None:
    spec = make_spec(store={"header": False}, key=("id", "v"))
    await run(spec, batch([1, 2, 3]))
    # Same (id, v) for 2 is an update; (3, "b3") is a new key; duplicates in a run keep the last.
    await run(spec, batch([2], "a"), batch([3], "b"), batch([3], "b"))
    table = pacsv.read_csv(
        spec.resolve("out/orders.csv"),
        read_options=pacsv.ReadOptions(column_names=["id", "v"]),
    )
    assert sorted(map(tuple, (r.values() for r in table.to_pylist()))) == [
        (1, "a1"),
        (2, "a2"),
        (3, "a3"),
        (3, "b3"),
    ]


async def test_merge_key_missing_from_the_rows_is_a_clear_error(make_spec: Make) -> None:
    spec = make_spec(key=("nope",))
    with pytest.raises(CsvConfigError, match=r"key column.*'nope'"):
        await run(spec, batch([1]))


async def test_second_writer_is_refused_while_the_first_holds_the_lock(make_spec: Make) -> None:
    spec = make_spec()
    first = CsvStore(spec)
    await first.begin(full_refresh=False)
    try:
        with pytest.raises(CsvError, match="another run is writing"):
            await CsvStore(spec).begin(full_refresh=False)
    finally:
        await first.abort()
    await run(spec, batch([1]))  # the lock is free again


async def test_begin_removes_staging_left_by_a_crashed_run(make_spec: Make) -> None:
    spec = make_spec()
    out = spec.resolve("out")
    out.mkdir()
    stale = out / ".orders.csv.flow-staging-deadbeef.csv"
    stale.write_text("partial")
    await run(spec, batch([1]))
    assert not stale.exists()


async def test_a_directory_as_target_is_refused(make_spec: Make) -> None:
    spec = make_spec()
    spec.resolve("out/orders.csv").mkdir(parents=True)
    with pytest.raises(CsvConfigError, match="is a directory"):
        await run(spec, batch([1]))


async def test_durable_publish_writes_the_same_file(make_spec: Make) -> None:
    spec = make_spec(store={"durable": True})
    await run(spec, batch([1]))
    assert published(spec) == '"id","v"\n1,"a1"\n'


async def test_write_before_begin_is_refused(make_spec: Make) -> None:
    with pytest.raises(CsvError, match="before begin"):
        await CsvStore(make_spec()).write(batch([1]))


def test_plugin_registers_csv_home_and_store() -> None:
    from flow.plugins import get_registry
    from flow_io_csv import CsvHome

    registry = get_registry()
    assert registry.resolve("homes", "csv") is CsvHome
    assert registry.resolve("stores", "csv") is CsvStore
