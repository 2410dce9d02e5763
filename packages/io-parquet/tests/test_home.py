"""The parquet home: files, directories, hive datasets, projection, filters, watermarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
import pydantic
import pytest
from flow.dataflows.protocols import EntitySpec
from flow.errors import FlowError
from flow_io_parquet import ParquetHome
from flow_io_parquet._errors import ParquetConfigError, ParquetError

Spec = Callable[..., EntitySpec]
Sample = Callable[..., pa.Table]
BASE = datetime(2026, 1, 1)


async def read_all(home: ParquetHome, **kwargs: Any) -> pa.Table:
    batches = [b async for b in home.read(after=kwargs.pop("after", None), **kwargs)]
    assert all(b.num_rows <= home.spec.batch_size for b in batches)
    if not batches:
        return pa.table({})
    return pa.Table.from_batches(batches).sort_by("id")


def write_dir(root: Path, *tables: pa.Table) -> None:
    root.mkdir(parents=True, exist_ok=True)
    for number, table in enumerate(tables):
        pq.write_table(table, root / f"part-{number}.parquet")


async def test_reads_a_file_in_bounded_batches(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    pq.write_table(sample(0, 2500), tmp_path / "one.parquet")
    home = ParquetHome(make_spec(home={"path": "one.parquet"}, batch_size=700))
    table = await read_all(home)
    assert table.equals(sample(0, 2500))
    assert home.describe() == "parquet:one.parquet"


async def test_reads_a_directory(tmp_path: Path, make_spec: Spec, sample: Sample) -> None:
    write_dir(tmp_path / "src", sample(0, 10), sample(10, 10))
    table = await read_all(ParquetHome(make_spec()))
    assert table["id"].to_pylist() == list(range(20))


async def test_reads_a_hive_dataset_with_partition_columns(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    ds.write_dataset(
        sample(0, 40),
        tmp_path / "src",
        format="parquet",
        partitioning=ds.partitioning(pa.schema([("region", pa.string())]), flavor="hive"),
    )
    assert (tmp_path / "src" / "region=eu").is_dir()
    home = ParquetHome(make_spec(home={"partitioning": "hive"}))
    table = await read_all(home)
    assert sorted(table["id"].to_pylist()) == list(range(40))
    assert table["region"].to_pylist() == sample(0, 40)["region"].to_pylist()
    eu = await read_all(
        ParquetHome(make_spec(home={"partitioning": "hive", "where": [["region", "==", "eu"]]}))
    )
    assert eu["id"].to_pylist() == [i for i in range(40) if i % 2]


async def test_projection_from_config_and_argument(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    write_dir(tmp_path / "src", sample(0, 5))
    home = ParquetHome(make_spec(home={"columns": ["id", "note"]}))
    assert (await read_all(home)).column_names == ["id", "note"]
    assert (await read_all(home, columns=["id", "amount"])).column_names == ["id", "amount"]
    with pytest.raises(ParquetConfigError, match="'nope'"):
        await read_all(home, columns=["id", "nope"])


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ([["id", ">=", 7]], [7, 8, 9]),
        ([["id", "<", 3], ["region", "=", "eu"]], [1]),
        ([[["id", "==", 0]], [["id", "==", 9]]], [0, 9]),
        ([["id", "in", [2, 4, 99]]], [2, 4]),
        ([["id", "not in", [0, 1, 2, 3, 4, 5, 6, 7]]], [8, 9]),
        ([["ts", ">", "2026-01-01 00:00:08"]], [9]),
        ([["note", "is null"]], []),
        ([["note", "is not null"], ["amount", "<=", 1.5]], [0, 1]),
    ],
)
async def test_where_is_pushed_down(
    tmp_path: Path, make_spec: Spec, sample: Sample, where: list[Any], expected: list[int]
) -> None:
    write_dir(tmp_path / "src", sample(0, 10))
    table = await read_all(ParquetHome(make_spec(home={"where": where})))
    assert (table["id"].to_pylist() if table.num_columns else []) == expected


@pytest.mark.parametrize(
    ("where", "message"),
    [
        ([["id", "~=", 1]], "unknown operator"),
        ([["id", ">"]], "takes a value"),
        ([["id", "is null", 3]], "takes no value"),
        (["id > 3"], "is \\[column, op, value\\]"),
    ],
)
def test_bad_where_is_rejected_by_the_config(make_spec: Spec, where: Any, message: str) -> None:
    with pytest.raises(pydantic.ValidationError, match=message):
        make_spec(home={"where": where})


async def test_where_on_unknown_column_or_bad_value(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    write_dir(tmp_path / "src", sample(0, 3))
    with pytest.raises(ParquetConfigError, match=r"no column 'nope'.*id, ts"):
        await read_all(ParquetHome(make_spec(home={"where": [["nope", "==", 1]]})))
    with pytest.raises(ParquetConfigError, match="does not fit column 'id'"):
        await read_all(ParquetHome(make_spec(home={"where": [["id", "==", "abc"]]})))


async def test_after_reads_only_newer_rows(tmp_path: Path, make_spec: Spec, sample: Sample) -> None:
    write_dir(tmp_path / "src", sample(0, 10))
    home = ParquetHome(make_spec(timestamp="ts"))
    newer = await read_all(home, after=BASE + timedelta(seconds=6))
    assert newer["id"].to_pylist() == [7, 8, 9]
    assert (await read_all(home, after=BASE + timedelta(seconds=9))).num_rows == 0
    assert (await read_all(home, after=None)).num_rows == 10


async def test_after_without_timestamp_column_is_an_error(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    write_dir(tmp_path / "src", sample(0, 3))
    with pytest.raises(ParquetConfigError, match="no timestamp column"):
        await read_all(ParquetHome(make_spec()), after=1)
    with pytest.raises(ParquetConfigError, match="no column 'missing'"):
        await read_all(ParquetHome(make_spec(timestamp="missing")), after=1)


async def test_empty_directory_and_missing_path(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    (tmp_path / "src").mkdir()
    assert [b async for b in ParquetHome(make_spec()).read(after=None)] == []
    with pytest.raises(ParquetError, match=r"does not exist; check home\.path") as info:
        await read_all(ParquetHome(make_spec(home={"path": "absent"})))
    assert isinstance(info.value, FlowError)


def test_unknown_config_fields_are_rejected(make_spec: Spec) -> None:
    with pytest.raises(pydantic.ValidationError, match="compresion"):
        make_spec(home={"compresion": "zstd"})
    with pytest.raises(pydantic.ValidationError, match="partitioning"):
        make_spec(home={"partitioning": "directory"})


async def test_files_with_fewer_columns_or_narrower_types_are_conformed(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    # The dataset's schema comes from the first file; later files are read with it.
    first = sample(0, 3)
    second = pa.table({"id": pa.array([3, 4], pa.int32()), "note": ["x-3", "x-4"]})
    write_dir(tmp_path / "src", first, second)
    table = await read_all(ParquetHome(make_spec()))
    assert table.schema == first.schema
    assert table["id"].to_pylist() == [0, 1, 2, 3, 4]
    assert table["amount"].to_pylist()[3:] == [None, None]
    assert table["note"].to_pylist()[3:] == ["x-3", "x-4"]
    tail = await read_all(ParquetHome(make_spec(home={"where": [["note", "==", "x-4"]]})))
    assert tail["id"].to_pylist() == [4]


async def test_row_groups_are_pruned_and_batches_stay_small(
    tmp_path: Path, make_spec: Spec, sample: Sample
) -> None:
    (tmp_path / "src").mkdir()
    pq.write_table(sample(0, 5000), tmp_path / "src" / "big.parquet", row_group_size=1000)
    home = ParquetHome(make_spec(home={"where": [["id", ">=", 4500]]}, batch_size=128))
    table = await read_all(home)  # read_all checks every batch has at most batch_size rows
    assert table["id"].to_pylist() == list(range(4500, 5000))
