"""Reading PostgreSQL through ADBC: the server's rows arrive as Arrow (COPY binary)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]

from ._arrow import SchemaKeeper, clean_batch, slices

__all__ = ["AdbcReader", "adbc_available"]


def adbc_available() -> bool:
    """Whether ``flow-io-sql[adbc]`` (the ADBC PostgreSQL driver) is installed."""
    try:
        import adbc_driver_postgresql.dbapi  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        return False
    return True


class AdbcReader:
    """Runs one SELECT through ADBC and yields its record batches, cut to ``batch_size``.

    The driver streams the result in batches of about 16 MB (its
    ``batch_size_hint_bytes``), so memory stays bounded however big the
    table. All calls must come from one thread (see :mod:`flow_io_sql._worker`).
    """

    def __init__(
        self,
        uri: str,
        sql: str,
        *,
        after: Any | None,
        binds_after: bool,
        arrow_types: Mapping[str, pa.DataType],
        batch_size: int,
        where: str,
    ) -> None:
        self._uri = uri
        self._sql = sql
        self._params = (after,) if binds_after else None
        self._arrow_types = dict(arrow_types)
        self._batch_size = batch_size
        self._keeper = SchemaKeeper(where)
        self._conn: Any = None
        self._cursor: Any = None
        self._reader: Any = None
        self._pending: Iterator[pa.RecordBatch] = iter(())

    def open(self) -> None:
        """Connect and start the query."""
        import adbc_driver_postgresql.dbapi as pgdb  # type: ignore[import-not-found,unused-ignore]

        self._conn = pgdb.connect(self._uri)
        self._cursor = self._conn.cursor()
        self._cursor.execute(self._sql, parameters=self._params)
        self._reader = self._cursor.fetch_record_batch()

    def next_batch(self) -> pa.RecordBatch | None:
        """The next batch of at most ``batch_size`` rows, or None at the end."""
        while True:
            piece = next(self._pending, None)
            if piece is not None:
                return piece
            try:
                batch = self._reader.read_next_batch()
            except StopIteration:
                return None
            batch = self._keeper.fit(self._typed(clean_batch(batch)))
            self._pending = slices(batch, self._batch_size)

    def _typed(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        if not self._arrow_types:
            return batch
        fields = [
            pa.field(f.name, self._arrow_types.get(f.name, f.type), f.nullable)
            for f in batch.schema
        ]
        return batch.cast(pa.schema(fields))

    def close(self) -> None:
        """Close the result, cursor and connection (idempotent)."""
        reader, self._reader = self._reader, None
        cursor, self._cursor = self._cursor, None
        conn, self._conn = self._conn, None
        try:
            if reader is not None:
                reader.close()
            if cursor is not None:
                cursor.close()
        finally:
            if conn is not None:
                conn.close()
