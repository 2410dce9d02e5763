"""Turning rows and driver batches into record batches of one predictable schema."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from ._errors import SqlError

__all__ = ["SchemaKeeper", "clean_batch", "slices", "to_array"]


def to_array(values: Sequence[Any], arrow: pa.DataType | None) -> pa.Array:
    """``values`` as an Arrow array of type ``arrow`` (inferred when None).

    Drivers return what they return (SQLite keeps datetimes as text, numeric
    comes as Decimal, json as dicts): a direct conversion is tried first, then
    inference plus a cast, then the values' text.
    """
    try:
        return pa.array(values, type=arrow)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        pass
    try:
        inferred = pa.array(values)
        return inferred if arrow is None else inferred.cast(arrow)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        pass
    text = [None if v is None else _text(v) for v in values]
    array = pa.array(text, type=pa.string())
    return array if arrow is None or arrow == pa.string() else array.cast(arrow)


def _text(value: Any) -> str:
    if isinstance(value, dict | list):
        return json.dumps(value, default=str)
    return str(value)


def clean_batch(batch: pa.RecordBatch) -> pa.RecordBatch:
    """``batch`` without driver metadata, extension types as their storage (zero-copy)."""
    arrays, fields = [], []
    for field, column in zip(batch.schema, batch.columns, strict=True):
        if isinstance(field.type, pa.BaseExtensionType):
            column = column.storage
        arrays.append(column)
        fields.append(pa.field(field.name, column.type, field.nullable))
    return pa.RecordBatch.from_arrays(arrays, schema=pa.schema(fields))


def slices(batch: pa.RecordBatch, size: int) -> Iterator[pa.RecordBatch]:
    """``batch`` cut into batches of at most ``size`` rows (zero-copy)."""
    for start in range(0, batch.num_rows, size):
        yield batch.slice(start, size)


class SchemaKeeper:
    """Holds every batch of a read to the first batch's schema.

    A column whose type had to be inferred and held only NULLs in the first
    batch has no type yet; if a later batch has values there, the read stops
    with an error asking for ``column_types`` (guessing would change the
    schema in the middle of a run).
    """

    def __init__(self, where: str) -> None:
        self.schema: pa.Schema | None = None
        self._where = where

    def fit(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if self.schema is None:
            self.schema = batch.schema
            return batch
        if batch.schema.equals(self.schema):
            return batch
        for field in self.schema:
            new = batch.schema.field(field.name).type
            if pa.types.is_null(field.type) and not pa.types.is_null(new):
                raise SqlError(
                    f"{self._where}: column {field.name!r} held only NULLs in the first batch, "
                    f"so its type was unknown; later rows are {new}: set column_types: "
                    f"{{{field.name}: {new}}}"
                )
        try:
            return batch.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
            raise SqlError(f"{self._where}: rows changed type during the read: {exc}") from None
