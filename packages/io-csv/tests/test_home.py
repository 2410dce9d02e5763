"""The csv home: dialects, headers, types, bad rows, several files, streaming."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pydantic
import pytest
from flow.dataflows.protocols import EntitySpec
from flow_io_csv import CsvConfigError, CsvDataError
from flow_io_csv.home import CsvHome

Make = Callable[..., EntitySpec]


async def read_all(spec: EntitySpec, **kwargs: Any) -> list[pa.RecordBatch]:
    return [b async for b in CsvHome(spec).read(after=kwargs.pop("after", None), **kwargs)]


def rows(batches: list[pa.RecordBatch]) -> list[dict[str, Any]]:
    return [r for b in batches for r in b.to_pylist()]


async def test_quoted_fields_with_delimiters_quotes_and_newlines(
    tmp_path: Path, make_spec: Make
) -> None:
    (tmp_path / "in.csv").write_text('id;text\n1;"a;b"\n2;"say ""hi"""\n3;"two\nlines"\n')
    got = rows(await read_all(make_spec(home={"delimiter": ";"})))
    assert got == [
        {"id": 1, "text": "a;b"},
        {"id": 2, "text": 'say "hi"'},
        {"id": 3, "text": "two\nlines"},
    ]


async def test_tab_delimiter_and_no_quoting(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text('id\tv\n1\t"x"\n')
    got = rows(await read_all(make_spec(home={"delimiter": "\t", "quote_char": None})))
    assert got == [{"id": 1, "v": '"x"'}]


async def test_headerless_file_takes_column_names(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("1,a\n2,b\n")
    spec = make_spec(home={"header": False, "column_names": ["id", "v"]})
    assert rows(await read_all(spec)) == [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]


def test_headerless_file_without_names_is_rejected() -> None:
    from flow_io_csv.config import CsvHomeConfig

    with pytest.raises(pydantic.ValidationError, match="column_names"):
        CsvHomeConfig(type="csv", path="x.csv", header=False)


async def test_column_names_replace_the_header(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("A,B\n1,2\n")
    got = rows(await read_all(make_spec(home={"column_names": ["x", "y"]})))
    assert got == [{"x": 1, "y": 2}]


async def test_column_types_override_inference(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text(
        "zip,price,at,day\n01234,1.50,2026-01-02T03:04:05Z,2026-01-02\n"
    )
    spec = make_spec(
        home={
            "column_types": {
                "zip": "string",
                "price": "decimal128(10, 2)",
                "at": "timestamp[ms, tz=UTC]",
                "day": "date32",
            }
        }
    )
    (batch,) = await read_all(spec)
    assert batch.schema.field("zip").type == pa.string()
    assert batch.schema.field("price").type == pa.decimal128(10, 2)
    assert batch.schema.field("at").type == pa.timestamp("ms", tz="UTC")
    assert batch.to_pylist()[0]["zip"] == "01234"
    assert batch.to_pylist()[0]["at"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_unknown_column_type_is_rejected_with_the_accepted_forms() -> None:
    from flow_io_csv.config import CsvHomeConfig

    with pytest.raises(pydantic.ValidationError, match=r"column_types\.a: unknown column type"):
        CsvHomeConfig(type="csv", path="x.csv", column_types={"a": "int65"})


async def test_null_values_and_encoding(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_bytes("id,name\n1,Zoë\n2,-\n".encode("latin-1"))
    spec = make_spec(home={"null_values": ["-"], "encoding": "latin-1"})
    assert rows(await read_all(spec)) == [{"id": 1, "name": "Zoë"}, {"id": 2, "name": None}]


async def test_bad_row_names_file_and_line(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("id,v\n1,a\n2,b\n3,c,extra\n4,d\n")
    with pytest.raises(CsvDataError, match=r"in\.csv line 4: expected 2 fields, got 3") as info:
        await read_all(make_spec())
    assert "bad_rows: skip" in str(info.value)


async def test_bad_rows_can_be_skipped(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("id,v\n1,a\n3,c,extra\n4,d\n")
    got = rows(await read_all(make_spec(home={"bad_rows": "skip"})))
    assert [r["id"] for r in got] == [1, 4]


async def test_bad_value_names_file_line_and_column(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("id,amount\n1,2.5\n2,3.5\n3,oops\n")
    spec = make_spec(home={"column_types": {"amount": "float64"}})
    with pytest.raises(CsvDataError, match=r"in\.csv line 4: column 'amount' holds 'oops'"):
        await read_all(spec)


async def test_missing_file_is_a_config_error(make_spec: Make) -> None:
    with pytest.raises(CsvConfigError, match=r"does not exist; check home\.path"):
        await read_all(make_spec(home={"path": "nope.csv"}))


async def test_unknown_projected_column_is_a_config_error(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("id,v\n1,a\n")
    with pytest.raises(CsvConfigError, match="nope"):
        await read_all(make_spec(), columns=["id", "nope"])


async def test_directory_and_glob_read_every_file_with_one_schema(
    tmp_path: Path, make_spec: Make
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.csv").write_text("id,v\n1,10\n2,20\n")
    (data / "b.csv").write_text("id,v\n3,2.5\n")  # inferred alone, v would be a float
    (data / "c.csv.gz").write_bytes(gzip.compress(b"id,v\n4,40\n"))
    (data / "notes.txt").write_text("not csv")
    with pytest.raises(CsvDataError, match=r"b\.csv line 2: column 'v' holds '2.5'"):
        await read_all(make_spec(home={"path": "data"}))
    (data / "b.csv").write_text("id,v\n3,30\n")
    got = rows(await read_all(make_spec(home={"path": "data"})))
    assert got == [{"id": i, "v": i * 10} for i in (1, 2, 3, 4)]
    got = rows(await read_all(make_spec(home={"path": "data/[ab].csv"})))
    assert [r["id"] for r in got] == [1, 2, 3]


async def test_empty_directory_is_an_empty_source(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "data").mkdir()
    assert await read_all(make_spec(home={"path": "data"})) == []


async def test_after_keeps_the_filter_column_out_of_a_projection(
    tmp_path: Path, make_spec: Make
) -> None:
    (tmp_path / "in.csv").write_text("id,ts\n1,5\n2,7\n3,9\n")
    got = rows(await read_all(make_spec(timestamp="ts"), after=6, columns=["id"]))
    assert got == [{"id": 2}, {"id": 3}]


async def test_after_without_a_timestamp_is_refused(tmp_path: Path, make_spec: Make) -> None:
    (tmp_path / "in.csv").write_text("id\n1\n")
    with pytest.raises(CsvConfigError, match="no timestamp column"):
        await read_all(make_spec(), after=1)


async def test_a_file_larger_than_a_block_streams_in_many_batches(
    tmp_path: Path, make_spec: Make
) -> None:
    count = 200_000
    with (tmp_path / "in.csv").open("w") as out:
        out.write("id,name\n")
        out.writelines(f"{i},name-{i}\n" for i in range(count))
    size = (tmp_path / "in.csv").stat().st_size
    spec = make_spec(home={"block_size": 64 * 1024}, batch_size=10_000)
    home = CsvHome(spec)
    total, batches, biggest = 0, 0, 0
    async for batch in home.read(after=None):
        total += batch.num_rows
        batches += 1
        biggest = max(biggest, batch.nbytes)
    assert total == count
    assert batches >= 20
    # One batch holds a block's worth of rows, never the file.
    assert biggest < size / 10
