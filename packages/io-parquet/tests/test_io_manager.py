"""The parquet IO manager: the IOManagerContract with tables, kinds kept, clear refusals."""

from __future__ import annotations

import importlib.util
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

    def sample_value(self, key: str, n: int) -> object:
        # The contract's default values are plain dicts, which a parquet IO manager
        # refuses by design: tables that differ per key and n stand in for them.
        return _table(n + 1, key)


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
