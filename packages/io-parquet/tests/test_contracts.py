"""flow-io-parquet against the core contracts: HomeContract and StoreContract."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec, HomeConfig, StoreConfig
from flow.testing.home_contract import HomeContract
from flow.testing.store_contract import StoreContract
from flow_io_parquet import ParquetHome, ParquetStore
from flow_io_parquet.config import ParquetHomeConfig, ParquetStoreConfig

#: The contract's sample columns as parquet stores them (timestamps in UTC, microseconds).
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("amount", pa.float64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


class TestParquetHomeContract(HomeContract):
    home_class = ParquetHome

    def make_home(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        (tmp_path / "src").mkdir()
        # Two files, so that reads also cross a file boundary.
        half = len(rows) // 2
        for number, part in enumerate((rows[:half], rows[half:])):
            table = pa.Table.from_pylist(list(part), schema=SCHEMA)
            pq.write_table(table, tmp_path / "src" / f"part-{number}.parquet")
        return EntitySpec(
            flow="contract",
            name="orders",
            home=ParquetHomeConfig(type="parquet", path="src"),
            store=StoreConfig(type="none"),
            key=("id",),
            timestamp="updated_at",
            project_dir=tmp_path,
        )


class TestParquetStoreContract(StoreContract):
    store_class = ParquetStore

    def make_store(self, tmp_path: Path, *, key: tuple[str, ...] | None) -> EntitySpec:
        return EntitySpec(
            flow="contract",
            name="orders",
            home=HomeConfig(type="none"),
            store=ParquetStoreConfig(type="parquet", path="out/orders", row_group_size=4096),
            key=key,
            timestamp="updated_at" if key else None,
            project_dir=tmp_path,
        )

    def make_batch(self, rows: Sequence[Mapping[str, Any]]) -> pa.RecordBatch:
        return pa.RecordBatch.from_pylist(list(rows), schema=SCHEMA)

    def read_store(self, spec: EntitySpec) -> list[dict[str, Any]]:
        target = spec.resolve("out/orders")
        if not target.exists():
            return []
        # Resolved once, as a reader of a Flow store does: one read sees one version.
        rows: list[dict[str, Any]] = (
            ds.dataset(os.path.realpath(target), format="parquet").to_table().to_pylist()
        )
        return rows
