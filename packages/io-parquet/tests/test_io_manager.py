"""The parquet IO manager: the IOManagerContract with tables, kinds kept, clear refusals."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from flow.assets.io_managers import IOContext
from flow.errors import IOManagerError
from flow.testing.io_manager_contract import IOManagerContract
from flow_io_parquet import ParquetIOManager


def _table(n: int, tag: str = "x") -> pa.Table:
    return pa.table({"n": list(range(n)), "tag": [tag] * n})


def _ctx(key: str, partition: Any = None) -> IOContext:
    from flow.assets.partitions import serialize_partition

    text = None if partition is None else serialize_partition(partition)
    return IOContext(asset_key=key, partition=partition, partition_text=text)


class TestParquetIOManager(IOManagerContract):
    samples: ClassVar[list[object]] = [
        _table(3),
        _table(0),
        pa.record_batch({"a": [1.5, None]}),
        pa.table({"ts": pa.array([1, 2], pa.timestamp("ms")), "s": ["é", "ü"]}),
    ]

    def make_io_manager(self, tmp_path: Path) -> ParquetIOManager:
        return ParquetIOManager(tmp_path / "assets")

    # The contract's own versions of these two store plain Python values (ints,
    # strings, dicts), which a parquet IO manager refuses by design; they are
    # checked here with one-row tables standing for those values.
    def test_partitions_and_keys_are_isolated(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        values = {
            ("iso", date(2026, 1, 1)): "date",
            ("iso", "2026-01-01"): "string",
            ("iso", None): "unpartitioned",
            ("iso/nested", date(2026, 1, 1)): "nested key",
            ("iso_nested", date(2026, 1, 1)): "other key",
        }
        for (key, partition), tag in values.items():
            manager.store(_ctx(key, partition), _table(1, tag))
        for (key, partition), tag in values.items():
            assert manager.load(_ctx(key, partition)) == _table(1, tag), (key, partition)

    def test_missing_value_is_a_clear_error(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        with pytest.raises(IOManagerError, match="never_stored"):
            manager.load(_ctx("never_stored"))
        manager.store(_ctx("stored_once", date(2026, 1, 1)), _table(1))
        with pytest.raises(IOManagerError):
            manager.load(_ctx("stored_once", date(2026, 1, 2)))

    def test_concurrent_stores(self, tmp_path: Path) -> None:
        import concurrent.futures

        manager = self.make_io_manager(tmp_path)
        keys = [f"concurrent_{i}" for i in range(self.concurrency)]

        def work(key: str) -> None:
            for round_ in range(5):
                manager.store(_ctx(key), _table(round_ + 1, key))
                manager.store(_ctx("shared"), _table(100, key))

        with concurrent.futures.ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(work, keys))
        for key in keys:
            assert manager.load(_ctx(key)) == _table(5, key)
        assert manager.load(_ctx("shared")) in [_table(100, k) for k in keys]


def test_kinds_round_trip(tmp_path: Path) -> None:
    manager = ParquetIOManager(tmp_path)
    batch = pa.record_batch({"a": [1, 2]})
    manager.store(_ctx("batch"), batch)
    loaded = manager.load(_ctx("batch"))
    assert isinstance(loaded, pa.RecordBatch)
    assert loaded.equals(batch)
    table = _table(2).replace_schema_metadata({"owner": "me"})
    manager.store(_ctx("table"), table)
    back = manager.load(_ctx("table"))
    assert isinstance(back, pa.Table)
    assert back.schema.metadata == {b"owner": b"me"}


@pytest.mark.skipif(importlib.util.find_spec("polars") is None, reason="polars not installed")
def test_polars_frames_come_back_as_polars(tmp_path: Path) -> None:
    import polars as pl

    manager = ParquetIOManager(tmp_path)
    frame = pl.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    manager.store(_ctx("frame"), frame)
    loaded = manager.load(_ctx("frame"))
    assert isinstance(loaded, pl.DataFrame)
    assert loaded.equals(frame)


@pytest.mark.parametrize("value", [{"a": 1}, [1, 2], "text", 3])
def test_non_tables_are_refused_with_a_hint(tmp_path: Path, value: object) -> None:
    with pytest.raises(IOManagerError, match="io_manager='fs'"):
        ParquetIOManager(tmp_path).store(_ctx("plain"), value)
    assert not list(tmp_path.rglob("*.parquet"))


def test_writes_are_atomic_files(tmp_path: Path) -> None:
    manager = ParquetIOManager(tmp_path)
    manager.store(_ctx("a"), _table(3))
    files = [p.name for p in (tmp_path / "a").iterdir()]
    assert files == ["__unpartitioned__.parquet"]


def test_default_root_is_under_the_project(tmp_path: Path) -> None:
    manager = ParquetIOManager(project_dir=tmp_path)
    manager.store(_ctx("k"), _table(1))
    assert (tmp_path / ".flow" / "assets-parquet" / "k" / "__unpartitioned__.parquet").is_file()
