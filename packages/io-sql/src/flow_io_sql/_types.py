"""Types between SQL and Arrow, mapped the same way whichever path reads the rows.

Reading (SQLAlchemy type of a reflected column → Arrow):

==========================  ===============================================
SQL                         Arrow
==========================  ===============================================
smallint / integer / bigint int16 / int32 / int64
real / double precision     float32 / float64
numeric, decimal            string (exact text; ``column_types`` can ask for decimal128 or float64)
boolean                     bool
text, varchar, char         string
date / time                 date32 / time64[us]
timestamp                   timestamp[us]
timestamp with time zone    timestamp[us, tz=UTC]
bytea, blob                 binary
json, jsonb, uuid, others   string
==========================  ===============================================

Writing (Arrow → SQL, for tables the store creates) is the reverse; unsigned
integers widen (uint64 becomes numeric(20, 0)), ``large_*`` and dictionary
types map as their value type.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

__all__ = ["arrow_type_of", "canonical", "sql_type_of"]


def arrow_type_of(sql_type: Any) -> pa.DataType:
    """The Arrow type rows of a column of SQLAlchemy type ``sql_type`` are read as."""
    checks: list[tuple[type[Any], pa.DataType]] = [
        (sa.Boolean, pa.bool_()),
        (sa.SmallInteger, pa.int16()),
        (sa.BigInteger, pa.int64()),
        (sa.Integer, pa.int32()),
        (sa.Date, pa.date32()),
        (sa.Time, pa.time64("us")),
        (sa.LargeBinary, pa.binary()),
    ]
    if isinstance(sql_type, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if sql_type.timezone else None)
    if isinstance(sql_type, sa.Float):  # before Numeric: Float is a Numeric subclass
        precision = getattr(sql_type, "precision", None)
        return (
            pa.float32()
            if isinstance(sql_type, sa.REAL) or (precision or 53) <= 24
            else pa.float64()
        )
    if isinstance(sql_type, sa.Numeric):
        return pa.string()
    for kind, arrow in checks:
        if isinstance(sql_type, kind):
            return arrow
    if type(sql_type).__name__.upper() in {"INTEGER", "INT"}:
        return pa.int64()
    return pa.string()


def sql_type_of(arrow: pa.DataType, column: str) -> Any:
    """The SQLAlchemy type of a column created for Arrow type ``arrow``."""
    if pa.types.is_dictionary(arrow):
        arrow = arrow.value_type
    simple: list[tuple[Any, Any]] = [
        (pa.types.is_boolean, sa.Boolean()),
        (pa.types.is_int8, sa.SmallInteger()),
        (pa.types.is_int16, sa.SmallInteger()),
        (pa.types.is_uint8, sa.SmallInteger()),
        (pa.types.is_int32, sa.Integer()),
        (pa.types.is_uint16, sa.Integer()),
        (pa.types.is_int64, sa.BigInteger()),
        (pa.types.is_uint32, sa.BigInteger()),
        (pa.types.is_uint64, sa.Numeric(20, 0)),
        (pa.types.is_float16, sa.REAL()),
        (pa.types.is_float32, sa.REAL()),
        (pa.types.is_float64, sa.Double()),
        (pa.types.is_string, sa.Text()),
        (pa.types.is_large_string, sa.Text()),
        (pa.types.is_binary, sa.LargeBinary()),
        (pa.types.is_large_binary, sa.LargeBinary()),
        (pa.types.is_fixed_size_binary, sa.LargeBinary()),
        (pa.types.is_date, sa.Date()),
        (pa.types.is_time, sa.Time()),
        (pa.types.is_null, sa.Text()),
    ]
    for test, sql_type in simple:
        if test(arrow):
            return sql_type
    if pa.types.is_timestamp(arrow):
        return sa.DateTime(timezone=arrow.tz is not None)
    if pa.types.is_decimal(arrow):
        return sa.Numeric(arrow.precision, arrow.scale)
    raise ValueError(
        f"column {column!r} has Arrow type {arrow}, which the sql store cannot create a column "
        "for; cast it in the home (column_types) or create the table yourself"
    )


def canonical(batch: pa.RecordBatch, *, naive_utc: bool) -> pa.RecordBatch:
    """``batch`` with each column in the Arrow type that matches the SQL column made for it.

    Bulk loaders (COPY binary) need the exact width of the SQL type: int8 is
    sent as int16, unsigned integers widen, dictionaries become their values.
    ``naive_utc`` turns zoned timestamps into UTC without a zone (SQLite has none).
    """
    fields = []
    for field in batch.schema:
        arrow = field.type
        if pa.types.is_dictionary(arrow):
            arrow = arrow.value_type
        arrow = _WIDER.get(arrow, arrow)
        if pa.types.is_timestamp(arrow) and arrow.tz is not None and naive_utc:
            arrow = pa.timestamp(arrow.unit)
        fields.append(pa.field(field.name, arrow, field.nullable))
    schema = pa.schema(fields)
    return batch if schema.equals(batch.schema) else batch.cast(schema)


_WIDER = {
    pa.int8(): pa.int16(),
    pa.uint8(): pa.int16(),
    pa.uint16(): pa.int32(),
    pa.uint32(): pa.int64(),
    pa.uint64(): pa.decimal128(20, 0),
    pa.float16(): pa.float32(),
    pa.null(): pa.string(),
}
