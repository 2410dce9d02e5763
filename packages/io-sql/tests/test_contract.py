"""flow-io-sql against the home and store contracts, on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from flow.dataflows.protocols import EntitySpec, HomeConfig, StoreConfig
from flow.testing.home_contract import HomeContract
from flow.testing.store_contract import StoreContract
from flow_io_sql._read_adbc import adbc_available
from flow_io_sql.config import SqlHomeConfig, SqlStoreConfig
from flow_io_sql.home import SqlHome
from flow_io_sql.store import SqlStore

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("amount", pa.float64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)
needs_adbc = pytest.mark.skipif(
    not adbc_available(), reason="needs the ADBC driver: pip install 'flow-io-sql[adbc]'"
)


class _SqlHome(HomeContract):
    home_class = SqlHome
    engine: ClassVar[str] = "sqlalchemy"
    url: str
    db: Any

    def make_home(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        self.db.create_table(self.url, "orders", rows)
        return EntitySpec(
            flow="f",
            name="orders",
            project_dir=tmp_path,
            home=SqlHomeConfig(
                type="sql",
                connection=self.url,  # type: ignore[arg-type]
                table="orders",
                engine=self.engine,  # type: ignore[arg-type]
            ),
            store=StoreConfig(type="none"),
            key=("id",),
            timestamp="updated_at",
        )


class TestSqliteHome(_SqlHome):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_url: str, db: Any) -> None:
        self.url, self.db = sqlite_url, db


class TestPostgresHome(_SqlHome):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str, db: Any) -> None:
        self.url, self.db = postgres_url, db


@needs_adbc
class TestPostgresAdbcHome(_SqlHome):
    engine = "adbc"

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str, db: Any) -> None:
        self.url, self.db = postgres_url, db


class _SqlStore(StoreContract):
    store_class = SqlStore
    engine: ClassVar[str] = "sqlalchemy"
    url: str
    db: Any
    atomic_rows = 5_000

    def make_store(self, tmp_path: Path, *, key: tuple[str, ...] | None) -> EntitySpec:
        return EntitySpec(
            flow="f",
            name="orders",
            project_dir=tmp_path,
            key=key,
            timestamp="updated_at" if key else None,
            home=HomeConfig(type="none"),
            store=SqlStoreConfig(
                type="sql",
                connection=self.url,  # type: ignore[arg-type]
                table="orders",
                engine=self.engine,  # type: ignore[arg-type]
            ),
        )

    def make_batch(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        return pa.RecordBatch.from_pylist(list(rows), schema=SCHEMA)

    def read_store(self, spec: EntitySpec) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.db.read_table(self.url, "orders")
        return rows

    def artifacts(self, spec: EntitySpec) -> set[str]:
        return super().artifacts(spec) | {f"table:{t}" for t in self.db.table_names(self.url)}


class TestSqliteStore(_SqlStore):
    @pytest.fixture(autouse=True)
    def _database(self, sqlite_url: str, db: Any) -> None:
        self.url, self.db = sqlite_url, db


class TestPostgresStore(_SqlStore):
    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str, db: Any) -> None:
        self.url, self.db = postgres_url, db


@needs_adbc
class TestPostgresAdbcStore(_SqlStore):
    engine = "adbc"

    @pytest.fixture(autouse=True)
    def _database(self, postgres_url: str, db: Any) -> None:
        self.url, self.db = postgres_url, db
