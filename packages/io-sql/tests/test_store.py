"""The sql store: modes, merging into tables Flow did not create, types, leftovers, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
import sqlalchemy as sa
from flow.dataflows.protocols import EntitySpec, HomeConfig
from flow_io_sql import SqlConfigError, SqlError
from flow_io_sql._read_adbc import adbc_available
from flow_io_sql.config import SqlStoreConfig
from flow_io_sql.store import SqlStore

ENGINES = [
    "sqlalchemy",
    pytest.param(
        "adbc",
        marks=pytest.mark.skipif(
            not adbc_available(), reason="needs the ADBC driver: pip install 'flow-io-sql[adbc]'"
        ),
    ),
]


def spec(tmp_path: Path, key: tuple[str, ...] | None = None, **store: Any) -> EntitySpec:
    return EntitySpec(
        flow="f",
        name="orders",
        project_dir=tmp_path,
        key=key,
        home=HomeConfig(type="none"),
        store=SqlStoreConfig(type="sql", **({"table": "orders"} | store)),
    )


def batch(ids: list[int], tag: str = "a") -> pa.RecordBatch:
    return pa.RecordBatch.from_pydict(
        {"id": pa.array(ids, pa.int64()), "v": [f"{tag}{i}" for i in ids]}
    )


async def run(s: EntitySpec, *batches: pa.RecordBatch, full_refresh: bool = False) -> Any:
    store = SqlStore(s)
    await store.begin(full_refresh=full_refresh)
    for b in batches:
        await store.write(b)
    return await store.publish()


def ordered(db: Any, url: str, table: str = "orders") -> list[tuple[Any, ...]]:
    return sorted(tuple(r.values()) for r in db.read_table(url, table))


async def test_replace_and_append_on_sqlite(tmp_path: Path, sqlite_url: str, db: Any) -> None:
    replace = spec(tmp_path, connection=sqlite_url)
    await run(replace, batch([1, 2]))
    result = await run(replace, batch([3]))
    assert ordered(db, sqlite_url) == [(3, "a3")]
    assert result.rows == 1
    append = spec(tmp_path, connection=sqlite_url, mode="append")
    await run(append, batch([4]), batch([5]))
    await run(append)
    assert ordered(db, sqlite_url) == [(3, "a3"), (4, "a4"), (5, "a5")]
    await run(replace)  # a replace run with no rows empties the table
    assert ordered(db, sqlite_url) == []


@pytest.mark.parametrize("engine", ENGINES)
async def test_merge_into_a_table_without_a_unique_key_deletes_then_inserts(
    tmp_path: Path, postgres_url: str, db: Any, engine: str
) -> None:
    columns = [sa.Column("id", sa.BigInteger), sa.Column("v", sa.Text), sa.Column("extra", sa.Text)]
    db.create_table(postgres_url, "orders", [{"id": 1, "v": "old1", "extra": "x"}], columns)
    s = spec(tmp_path, key=("id",), connection=postgres_url, engine=engine)
    await run(s, batch([1, 2]), batch([2], "b"))
    assert ordered(db, postgres_url) == [(1, "a1", None), (2, "b2", None)]
    await run(s, batch([1, 2]), batch([2], "b"))  # a rerun never duplicates
    assert ordered(db, postgres_url) == [(1, "a1", None), (2, "b2", None)]


@pytest.mark.parametrize("engine", ENGINES)
async def test_narrow_and_unsigned_arrow_types_load_and_round_trip(
    tmp_path: Path, postgres_url: str, db: Any, engine: str
) -> None:
    data = pa.RecordBatch.from_pydict(
        {
            "id": pa.array([1, 2], pa.int8()),
            "u": pa.array([2**32 - 1, 0], pa.uint32()),
            "big": pa.array([2**64 - 1, 0], pa.uint64()),
            "cat": pa.array(["x", "y"]).dictionary_encode(),
            "price": pa.array(["1.25", "2.50"]).cast(pa.decimal128(6, 2)),
        }
    )
    await run(spec(tmp_path, connection=postgres_url, engine=engine), data)
    got = db.read_table(postgres_url, "orders")
    assert sorted((r["id"], r["u"], int(r["big"]), r["cat"], str(r["price"])) for r in got) == [
        (1, 2**32 - 1, 2**64 - 1, "x", "1.25"),
        (2, 0, 0, "y", "2.50"),
    ]


async def test_begin_drops_staging_left_by_a_crashed_run(
    tmp_path: Path, sqlite_url: str, db: Any
) -> None:
    s = spec(tmp_path, connection=sqlite_url)
    crashed = SqlStore(s)
    await crashed.begin(full_refresh=False)
    await crashed.write(batch([1]))
    crashed._worker = None  # a killed process: no abort, the staging table stays behind
    assert any(t.startswith("_flow_staging_orders_") for t in db.table_names(sqlite_url))
    await run(s, batch([2]))
    assert db.table_names(sqlite_url) == {"orders"}
    assert ordered(db, sqlite_url) == [(2, "a2")]


async def test_failed_publish_leaves_the_target_and_no_staging(
    tmp_path: Path, sqlite_url: str, db: Any
) -> None:
    columns = [sa.Column("id", sa.BigInteger, primary_key=True), sa.Column("w", sa.Text)]
    db.create_table(sqlite_url, "orders", [{"id": 9, "w": "keep"}], columns)
    with pytest.raises(SqlError, match=r"has no column\(s\) 'v'") as info:
        await run(spec(tmp_path, connection=sqlite_url), batch([1]))
    assert "drop the table" in str(info.value)
    assert db.table_names(sqlite_url) == {"orders"}
    assert ordered(db, sqlite_url) == [(9, "keep")]


def test_mode_and_key_must_agree(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(SqlConfigError, match="merge needs the entity's key"):
        SqlStore(spec(tmp_path, connection=sqlite_url, mode="merge"))
    with pytest.raises(SqlConfigError, match="remove mode: append"):
        SqlStore(spec(tmp_path, key=("id",), connection=sqlite_url, mode="append"))


async def test_reserved_and_missing_key_columns_are_named(tmp_path: Path, sqlite_url: str) -> None:
    with pytest.raises(SqlConfigError, match=r"key column.*'nope'"):
        await run(spec(tmp_path, key=("nope",), connection=sqlite_url), batch([1]))
    reserved = pa.RecordBatch.from_pydict({"_flow_seq": [1]})
    with pytest.raises(SqlConfigError, match="reserved"):
        await run(spec(tmp_path, connection=sqlite_url), reserved)


async def test_unreachable_database_hides_the_password(tmp_path: Path) -> None:
    from flow.testing import free_port

    url = f"postgresql://app:s3cr3t-pw@127.0.0.1:{free_port()}/db"
    with pytest.raises(SqlError) as info:
        await run(spec(tmp_path, connection=url, engine="sqlalchemy"), batch([1]))
    assert "s3cr3t-pw" not in str(info.value)
    assert info.value.transient is True


async def test_relative_sqlite_path_is_under_the_project_directory(tmp_path: Path) -> None:
    await run(spec(tmp_path, connection="sqlite:///data.db"), batch([1]))
    assert (tmp_path / "data.db").is_file()
