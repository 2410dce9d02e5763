"""The parquet store: staging, atomic publish, merge on key, modes, options, crash leftovers."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pydantic
import pytest
from flow.dataflows.protocols import EntitySpec
from flow_io_parquet import ParquetStore
from flow_io_parquet._errors import ParquetError, StoreBusyError
from flow_io_parquet._staged import ordered_groups

Spec = Callable[..., EntitySpec]
Sample = Callable[..., pa.Table]


async def run(store: ParquetStore, *tables: pa.Table, full_refresh: bool = False) -> int:
    await store.begin(full_refresh=full_refresh)
    for table in tables:
        for batch in table.to_batches(max_chunksize=7):
            await store.write(batch)
    return (await store.publish()).rows


def published(store: ParquetStore) -> pa.Table:
    return ds.dataset(store.path, format="parquet").to_table().sort_by("id")


def hidden(store: ParquetStore) -> list[str]:
    return sorted(p.name for p in store.layout.root.iterdir() if p.name != "lock")


async def test_replace_is_the_default(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec())
    assert await run(store, sample(0, 20)) == 20
    assert published(store).equals(sample(0, 20))
    assert await run(store, sample(100, 5)) == 5
    assert published(store)["id"].to_pylist() == list(range(100, 105))
    assert store.path.is_symlink()


async def test_append_mode_adds_rows(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(store={"mode": "append"}))
    await run(store, sample(0, 10))
    await run(store, sample(10, 10))
    assert published(store)["id"].to_pylist() == list(range(20))
    await run(store, sample(50, 2), full_refresh=True)
    assert published(store)["id"].to_pylist() == [50, 51]


async def test_merge_on_key_upserts_and_reruns_never_duplicate(
    make_spec: Spec, sample: Sample
) -> None:
    store = ParquetStore(make_spec(key=("id",), timestamp="ts"))
    await run(store, sample(0, 30))
    for _ in range(3):  # a rerun of the same rows changes nothing
        await run(store, sample(20, 10))
    assert published(store).equals(sample(0, 30))
    result_rows = await run(store, sample(25, 10, version="v2"))
    assert result_rows == 10
    table = published(store)
    assert table["id"].to_pylist() == list(range(35))
    notes = dict(zip(table["id"].to_pylist(), table["note"].to_pylist(), strict=True))
    assert notes[24] == "v1-24"
    assert notes[25] == "v2-25"
    assert notes[34] == "v2-34"


async def test_merge_keeps_the_last_of_repeated_staged_keys(
    make_spec: Spec, sample: Sample
) -> None:
    store = ParquetStore(make_spec(key=("id",)))
    assert await run(store, sample(0, 5), sample(3, 4, version="v2")) == 7
    table = published(store)
    assert table["id"].to_pylist() == list(range(7))
    assert table["note"].to_pylist()[3:] == ["v2-3", "v2-4", "v2-5", "v2-6"]


async def test_merge_on_a_composite_key(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(key=("region", "id")))
    await run(store, sample(0, 10))
    await run(store, sample(5, 10, version="v2"))
    table = published(store)
    assert table["id"].to_pylist() == list(range(15))
    assert table["note"].to_pylist()[4:6] == ["v1-4", "v2-5"]


async def test_publish_reports_rows_and_max_timestamp(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(key=("id",), timestamp="ts"))
    await store.begin(full_refresh=False)
    await store.write(sample(0, 10).to_batches()[0])
    result = await store.publish()
    assert result.rows == 10
    assert result.max_timestamp == sample(9, 1)["ts"][0].as_py()
    assert result.bytes is not None
    assert result.bytes > 0
    await store.begin(full_refresh=False)
    nothing = await store.publish()
    assert (nothing.rows, nothing.max_timestamp) == (0, None)
    assert published(store).num_rows == 10


async def test_full_refresh_replaces_a_keyed_store(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(key=("id",)))
    await run(store, sample(0, 10))
    await run(store, sample(3, 2), full_refresh=True)
    assert published(store)["id"].to_pylist() == [3, 4]


async def test_staging_is_invisible_and_abort_leaves_nothing(
    make_spec: Spec, sample: Sample
) -> None:
    store = ParquetStore(make_spec())
    await run(store, sample(0, 5))
    await store.begin(full_refresh=False)
    await store.write(sample(100, 50).to_batches()[0])
    assert published(store)["id"].to_pylist() == list(range(5))
    assert not store.path.name.startswith(".")
    await store.abort()
    await store.abort()  # idempotent
    assert published(store)["id"].to_pylist() == list(range(5))
    assert not [n for n in hidden(store) if n.startswith("staging-")]
    fresh = ParquetStore(make_spec(store={"path": "out/never"}))
    await fresh.begin(full_refresh=False)
    await fresh.write(sample(0, 3).to_batches()[0])
    await fresh.abort()
    assert not fresh.path.exists()


async def test_a_second_writer_is_refused_while_one_runs(make_spec: Spec, sample: Sample) -> None:
    first, second = ParquetStore(make_spec()), ParquetStore(make_spec())
    await first.begin(full_refresh=False)
    with pytest.raises(StoreBusyError, match="another run"):
        await second.begin(full_refresh=False)
    await first.abort()
    assert await run(second, sample(0, 2)) == 2


async def test_crash_leftovers_are_cleared_by_begin(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec())
    await run(store, sample(0, 5))
    (store.layout.root / "staging-crashed").mkdir()
    pq.write_table(sample(900, 3), store.layout.root / "staging-crashed" / "part.parquet")
    stray = store.path.parent / f".{store.path.name}.link-crashed"
    os.symlink("nowhere", stray)
    await run(store, sample(10, 5))
    assert published(store)["id"].to_pylist() == list(range(10, 15))
    assert "staging-crashed" not in hidden(store)
    assert not stray.is_symlink()
    assert len([n for n in hidden(store) if n.startswith("v-")]) <= 2


async def test_compression_and_row_group_size_take_effect(make_spec: Spec, sample: Sample) -> None:
    for compression in ("snappy", "zstd", "none"):
        store = ParquetStore(
            make_spec(
                store={
                    "compression": compression,
                    "row_group_size": 40,
                    "path": compression,
                    "writers": 1,
                }
            )
        )
        await run(store, sample(0, 100))
        (part,) = list(store.path.glob("*.parquet"))
        meta = pq.ParquetFile(part).metadata
        assert meta.num_row_groups == 3
        assert [meta.row_group(i).num_rows for i in range(3)] == [40, 40, 20]
        assert meta.row_group(0).column(0).compression == compression.upper().replace(
            "NONE", "UNCOMPRESSED"
        )


async def test_parallel_writers_deal_row_groups_and_keep_order(
    make_spec: Spec, sample: Sample
) -> None:
    store = ParquetStore(make_spec(store={"row_group_size": 10, "writers": 3}, timestamp="ts"))
    await store.begin(full_refresh=False)
    for batch in sample(0, 95).to_batches(max_chunksize=7):
        await store.write(batch)
    result = await store.publish()
    assert (result.rows, result.max_timestamp) == (95, sample(94, 1)["ts"][0].as_py())
    parts = sorted(store.path.glob("*.parquet"))
    assert [pq.ParquetFile(p).metadata.num_row_groups for p in parts] == [4, 3, 3]
    in_order = pa.concat_tables(ordered_groups(parts))
    assert in_order.equals(sample(0, 95))


async def test_parallel_writers_merge_keeps_the_last_repeated_key(
    make_spec: Spec, sample: Sample
) -> None:
    store = ParquetStore(make_spec(store={"row_group_size": 10, "writers": 2}, key=("id",)))
    # Row groups: 100-109 → part 0, 0-9 v1 → part 1, 0-9 v2 → part 0 again. Read part by
    # part, v1 would come last; the last version written (v2) must win.
    rows = await run(store, sample(100, 10), sample(0, 10), sample(0, 10, version="v2"))
    assert rows == 20
    notes = published(store)["note"].to_pylist()
    assert notes == [f"v2-{i}" for i in range(10)] + [f"v1-{i}" for i in range(100, 110)]


async def test_dictionary_limit_keeps_dictionaries_for_low_cardinality_only(
    make_spec: Spec,
) -> None:
    rows = 20_000
    table = pa.table(
        {
            "id": pa.array(range(rows), pa.int64()),
            "status": pa.array(["new", "paid", "done", "void"] * (rows // 4)),
        }
    )

    async def encodings(limit: int | None) -> dict[str, tuple[str, ...]]:
        options = {"path": f"d{limit}", "writers": 1}
        if limit is not None:
            options["dictionary_limit"] = limit
        store = ParquetStore(make_spec(store=options))
        await run(store, table)
        (part,) = list(store.path.glob("*.parquet"))
        group = pq.ParquetFile(part).metadata.row_group(0)
        return {group.column(i).path_in_schema: group.column(i).encodings for i in range(2)}

    default = await encodings(None)  # 64 KiB: 20,000 distinct int64 ids overflow it
    assert "RLE_DICTIONARY" in default["status"]
    assert "PLAIN" in default["id"]
    assert "RLE_DICTIONARY" in (await encodings(1 << 20))["id"]
    assert not any("RLE_DICTIONARY" in e for e in (await encodings(0)).values())


def test_bad_store_options_are_rejected(make_spec: Spec) -> None:
    with pytest.raises(pydantic.ValidationError, match="compression"):
        make_spec(store={"compression": "zip"})
    with pytest.raises(pydantic.ValidationError, match="row_group_size"):
        make_spec(store={"row_group_size": 0})
    with pytest.raises(pydantic.ValidationError, match="Extra inputs"):
        make_spec(store={"partition_by": ["x"]})
    with pytest.raises(pydantic.ValidationError, match="writers"):
        make_spec(store={"writers": 0})
    with pytest.raises(pydantic.ValidationError, match="dictionary_limit"):
        make_spec(store={"dictionary_limit": -1})


async def test_a_path_flow_does_not_manage_is_refused(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    (tmp_path / "out" / "orders").mkdir(parents=True)
    store = ParquetStore(make_spec())
    with pytest.raises(ParquetError, match="not managed by Flow"):
        await store.begin(full_refresh=False)
    assert await run(ParquetStore(make_spec(store={"path": "out/other"})), sample(0, 1)) == 1


async def test_null_keys_and_schema_drift_are_clear_errors(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(key=("id",)))
    nulls = pa.table({"id": pa.array([1, None], pa.int64()), "note": ["a", "b"]})
    await store.begin(full_refresh=False)
    await store.write(nulls.to_batches()[0])
    with pytest.raises(ParquetError, match="'id' has null values"):
        await store.publish()
    assert not [n for n in hidden(store) if n.startswith("staging-")]
    await run(store, sample(0, 3))
    drift = pa.table({"id": pa.array(["x"]), "note": ["a"]})
    with pytest.raises(ParquetError, match="full-refresh"):
        await run(store, drift)
    assert published(store).num_rows == 3


async def test_publish_is_atomic_for_a_concurrent_reader(make_spec: Spec, sample: Sample) -> None:
    store = ParquetStore(make_spec(store={"row_group_size": 100}))
    await run(store, sample(0, 1000))
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                target = os.path.realpath(store.path)
                seen.append(ds.dataset(target, format="parquet").count_rows())
            except FileNotFoundError:
                seen.append(-1)  # an old version removed after two publishes: never partial
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
                return

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        for round_ in range(15):
            size = 1000 + 500 * (round_ % 2)
            await run(store, sample(0, size))
    finally:
        stop.set()
        thread.join()
    assert not errors, errors
    assert seen
    assert set(seen) <= {1000, 1500, -1}, sorted(set(seen))
