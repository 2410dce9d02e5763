"""flow-io-csv against the home and store contracts of flow.testing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec, HomeConfig, StoreConfig
from flow.testing.home_contract import HomeContract
from flow.testing.store_contract import StoreContract
from flow_io_csv.config import CsvHomeConfig, CsvStoreConfig
from flow_io_csv.home import CsvHome
from flow_io_csv.store import CsvStore

SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("amount", pa.float64()),
        ("updated_at", pa.timestamp("us", tz="UTC")),
    ]
)


class TestCsvHome(HomeContract):
    home_class = CsvHome

    def make_home(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        pacsv.write_csv(pa.Table.from_pylist(list(rows), schema=SCHEMA), tmp_path / "orders.csv")
        return EntitySpec(
            flow="f",
            name="orders",
            project_dir=tmp_path,
            home=CsvHomeConfig(type="csv", path="orders.csv"),
            store=StoreConfig(type="none"),
            key=("id",),
            timestamp="updated_at",
        )


class TestCsvStore(StoreContract):
    store_class = CsvStore

    def make_store(self, tmp_path: Path, *, key: tuple[str, ...] | None) -> EntitySpec:
        return EntitySpec(
            flow="f",
            name="orders",
            project_dir=tmp_path,
            key=key,
            timestamp="updated_at" if key else None,
            home=HomeConfig(type="none"),
            store=CsvStoreConfig(type="csv", path="out/orders.csv"),
        )

    def make_batch(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        return pa.RecordBatch.from_pylist(list(rows), schema=SCHEMA)

    def read_store(self, spec: EntitySpec) -> list[dict[str, Any]]:
        path = spec.resolve("out/orders.csv")
        if not path.exists():
            return []
        options = pacsv.ConvertOptions(column_types=SCHEMA)
        rows: list[dict[str, Any]] = pacsv.read_csv(path, convert_options=options).to_pylist()
        return rows
