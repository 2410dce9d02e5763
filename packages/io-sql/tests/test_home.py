"""The sql home: streaming, where, query mode, incremental reads, types, and clear errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pydantic
import pytest
import sqlalchemy as sa
from flow.dataflows.protocols import EntitySpec, StoreConfig
from flow_io_sql import SqlConfigError, SqlError
from flow_io_sql._read_adbc import adbc_available
from flow_io_sql.config import SqlHomeConfig
from flow_io_sql.home import SqlHome

T0 = datetime(2026, 1, 1, tzinfo=UTC)
ENGINES = [
    "sqlalchemy",
    pytest.param(
        "adbc",
        marks=pytest.mark.skipif(
            not adbc_available(), reason="needs the ADBC driver: pip install 'flow-io-sql[adbc]'"
        ),
    ),
]


def spec(tmp_path: Path, batch_size: int = 1000, **home: Any) -> EntitySpec:
    return EntitySpec(
        flow="f",
        name="orders",
        project_dir=tmp_path,
        home=SqlHomeConfig(type="sql", **home),
        store=StoreConfig(type="none"),
        key=("id",),
        timestamp="updated_at",
        batch_size=batch_size,
    )


def rows(n: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": f"n{i}", "amount": i / 2, "updated_at": T0 + timedelta(seconds=i)}
        for i in range(n)
    ]


async def read(s: EntitySpec, **kwargs: Any) -> list[pa.RecordBatch]:
    return [b async for b in SqlHome(s).read(after=kwargs.pop("after", None), **kwargs)]


@pytest.mark.parametrize("engine", ENGINES)
async def test_postgres_table_streams_in_many_bounded_batches(
    tmp_path: Path, postgres_url: str, db: Any, engine: str
) -> None:
    db.create_table(postgres_url, "orders", rows(25_000))
    s = spec(tmp_path, batch_size=1000, connection=postgres_url, table="orders", engine=engine)
    batches = await read(s)
    assert sum(b.num_rows for b in batches) == 25_000
    assert len(batches) >= 25
    assert max(b.num_rows for b in batches) <= 1000


async def test_sqlite_table_streams_in_many_batches(
    tmp_path: Path, sqlite_url: str, db: Any
) -> None:
    db.create_table(sqlite_url, "orders", rows(5_000))
    batches = await read(spec(tmp_path, batch_size=300, connection=sqlite_url, table="orders"))
    assert [b.num_rows for b in batches] == [300] * 16 + [200]


async def test_sqlalchemy_path_reads_postgres_with_a_server_side_cursor(
    tmp_path: Path, postgres_url: str, db: Any
) -> None:
    db.create_table(postgres_url, "orders", rows(3_000))
    home = SqlHome(
        spec(tmp_path, batch_size=500, connection=postgres_url, table="orders", engine="sqlalchemy")
    )
    reader = home.read(after=None)
    first = await anext(reader)
    assert first.num_rows == 500
    # While the read is open, PostgreSQL holds its cursor: a named (server-side) one.
    engine = sa.create_engine(db.engine_url(postgres_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            cursors = conn.execute(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'SELECT%orders%'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert cursors == 1
    await reader.aclose()  # type: ignore[attr-defined]


@pytest.mark.parametrize("engine", ENGINES)
async def test_where_and_watermark_and_projection_on_postgres(
    tmp_path: Path, postgres_url: str, db: Any, engine: str
) -> None:
    db.create_table(postgres_url, "orders", rows(100))
    s = spec(
        tmp_path,
        connection=postgres_url,
        table="orders",
        where="id % 2 = 0 OR name = 'n7'",
        engine=engine,
    )
    after = T0 + timedelta(seconds=89)
    batches = await read(s, after=after, columns=["id"])
    got = [r for b in batches for r in b.to_pylist()]
    # The where's OR stays inside its parentheses: the watermark still applies to n7.
    assert got == [{"id": i} for i in range(90, 100, 2)]


async def test_query_mode_with_watermark_on_sqlite(
    tmp_path: Path, sqlite_url: str, db: Any
) -> None:
    db.create_table(sqlite_url, "orders", rows(10))
    s = spec(
        tmp_path,
        connection=sqlite_url,
        query="SELECT id, name, id * 10 AS updated_at FROM orders WHERE id < 8;",
    )
    batches = await read(s, after=50)
    assert [r["id"] for b in batches for r in b.to_pylist()] == [6, 7]


@pytest.mark.parametrize("engine", ENGINES)
async def test_types_follow_the_documented_mapping(
    tmp_path: Path, postgres_url: str, db: Any, engine: str
) -> None:
    columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("small", sa.SmallInteger),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("ratio", sa.REAL),
        sa.Column("ok", sa.Boolean),
        sa.Column("day", sa.Date),
        sa.Column("at", sa.DateTime(timezone=False)),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.Column("blob", sa.LargeBinary),
    ]
    row = {
        "id": 1,
        "small": 2,
        "price": "12.50",
        "ratio": 0.5,
        "ok": True,
        "day": T0.date(),
        "at": T0.replace(tzinfo=None),
        "updated_at": T0,
        "blob": b"\x00\x01",
    }
    db.create_table(postgres_url, "typed", [row], columns)
    s = spec(
        tmp_path,
        connection=postgres_url,
        table="typed",
        engine=engine,
        column_types={"small": "int64"},
    )
    (batch,) = await read(s)
    assert dict(zip(batch.schema.names, map(str, batch.schema.types), strict=True)) == {
        "id": "int32",
        "small": "int64",
        "price": "string",
        "ratio": "float",
        "ok": "bool",
        "day": "date32[day]",
        "at": "timestamp[us]",
        "updated_at": "timestamp[us, tz=UTC]",
        "blob": "binary",
    }
    assert batch.to_pylist()[0]["price"] == "12.50"


async def test_null_only_first_batch_then_values_asks_for_column_types(
    tmp_path: Path, sqlite_url: str, db: Any
) -> None:
    db.create_table(sqlite_url, "orders", rows(4))
    query = "SELECT id, CASE WHEN id > 1 THEN id END AS late FROM orders"
    with pytest.raises(SqlError, match=r"column 'late' held only NULLs.*column_types"):
        await read(spec(tmp_path, batch_size=2, connection=sqlite_url, query=query))
    s = spec(
        tmp_path, batch_size=2, connection=sqlite_url, query=query, column_types={"late": "int64"}
    )
    assert [r["late"] for b in await read(s) for r in b.to_pylist()] == [None, None, 2, 3]


# -- errors --------------------------------------------------------------------------------


def test_exactly_one_of_table_and_query() -> None:
    with pytest.raises(pydantic.ValidationError, match="exactly one of table and query"):
        SqlHomeConfig(type="sql", connection="sqlite://", table="a", query="SELECT 1")  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="exactly one of table and query"):
        SqlHomeConfig(type="sql", connection="sqlite://")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ("1=1) OR (1=1", "without its '\\('"),
        ("id = 1; DROP TABLE orders", "without ';'"),
        ("id = 1 -- the rest", "comments"),
        ("name = 'x", "unterminated"),
    ],
)
def test_where_must_stay_one_condition(where: str, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        SqlHomeConfig(type="sql", connection="sqlite://", table="t", where=where)  # type: ignore[arg-type]


def test_where_may_hold_quoted_semicolons_and_parentheses() -> None:
    config = SqlHomeConfig(type="sql", connection="sqlite://", table="t", where="name = 'a;(b'")  # type: ignore[arg-type]
    assert config.where == "name = 'a;(b'"


def test_table_must_be_a_plain_name() -> None:
    with pytest.raises(pydantic.ValidationError, match="not a plain name"):
        SqlHomeConfig(type="sql", connection="sqlite://", table="orders; drop")  # type: ignore[arg-type]


def test_connection_is_secret_in_config_repr_and_describe(tmp_path: Path) -> None:
    url = "postgresql://app:s3cr3t-pw@127.0.0.1:1/db"
    s = spec(tmp_path, connection=url, table="orders")
    assert "s3cr3t-pw" not in repr(s.home)
    assert "s3cr3t-pw" not in SqlHome(s).describe()
    assert SqlHome(s).describe() == "sql:postgresql+psycopg://app:***@127.0.0.1:1/db#orders"


def test_malformed_url_is_a_config_error_without_the_url(tmp_path: Path) -> None:
    with pytest.raises(SqlConfigError, match="not a database URL") as info:
        SqlHome(spec(tmp_path, connection="user:s3cr3t-pw@nowhere", table="t"))
    assert "s3cr3t-pw" not in str(info.value)


@pytest.mark.parametrize("engine", ENGINES)
async def test_unreachable_server_is_transient_and_hides_the_password(
    tmp_path: Path, engine: str
) -> None:
    from flow.testing import free_port

    url = f"postgresql://app:s3cr3t-pw@127.0.0.1:{free_port()}/db"
    with pytest.raises(SqlError) as info:
        await read(spec(tmp_path, connection=url, query="SELECT 1 AS id", engine=engine))
    assert "s3cr3t-pw" not in str(info.value)
    assert "127.0.0.1" in str(info.value)
    assert info.value.transient is True


@pytest.mark.parametrize("engine", ENGINES)
async def test_missing_table_and_bad_query_are_permanent(
    tmp_path: Path, postgres_url: str, engine: str
) -> None:
    with pytest.raises(SqlConfigError, match="table 'nope' does not exist"):
        await read(spec(tmp_path, connection=postgres_url, table="nope", engine=engine))
    with pytest.raises(SqlError, match="syntax error") as info:
        await read(spec(tmp_path, connection=postgres_url, query="SELEC 1", engine=engine))
    assert info.value.transient is False


async def test_unknown_column_is_named(tmp_path: Path, sqlite_url: str, db: Any) -> None:
    db.create_table(sqlite_url, "orders", rows(2))
    with pytest.raises(SqlConfigError, match=r"no column\(s\) 'nope'.*the columns are id, name"):
        await read(spec(tmp_path, connection=sqlite_url, table="orders"), columns=["id", "nope"])


async def test_adbc_engine_on_sqlite_is_refused(tmp_path: Path, sqlite_url: str, db: Any) -> None:
    db.create_table(sqlite_url, "orders", rows(1))
    with pytest.raises(SqlConfigError, match="adbc reads PostgreSQL only"):
        await read(spec(tmp_path, connection=sqlite_url, table="orders", engine="adbc"))


def test_plugin_registers_sql_home_and_store() -> None:
    from flow.plugins import get_registry
    from flow_io_sql import SqlStore

    registry = get_registry()
    assert registry.resolve("homes", "sql") is SqlHome
    assert registry.resolve("stores", "sql") is SqlStore
