"""Reading through SQLAlchemy: a server-side cursor, ``batch_size`` rows at a time."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa
from sqlalchemy.engine import URL

from ._arrow import SchemaKeeper, to_array

__all__ = ["SqlAlchemyReader"]


class SqlAlchemyReader:
    """Runs one SELECT with ``stream_results`` and yields record batches.

    ``stream_results=True`` makes PostgreSQL use a named (server-side) cursor,
    so the table is never loaded whole; ``partitions(batch_size)`` fetches one
    batch of rows at a time (SQLite steps its cursor the same way). All calls
    must come from one thread (see :mod:`flow_io_sql._worker`).
    """

    def __init__(
        self,
        url: URL,
        sql: str,
        *,
        after: Any | None,
        after_type: Any | None,
        result_types: Mapping[str, Any],
        arrow_types: Mapping[str, pa.DataType],
        batch_size: int,
        where: str,
    ) -> None:
        self._engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self._sql = sql
        self._after = after
        self._after_type = after_type
        self._result_types = result_types
        self._arrow_types = arrow_types
        self._batch_size = batch_size
        self._keeper = SchemaKeeper(where)
        self._conn: sa.Connection | None = None
        self._result: sa.CursorResult[Any] | None = None
        self._parts: Iterator[Any] | None = None
        self._names: list[str] = []

    def open(self) -> None:
        """Connect and start the query."""
        statement = sa.text(self._sql)
        params: dict[str, Any] = {}
        if self._after is not None:
            statement = statement.bindparams(
                sa.bindparam("after", self._after, type_=self._after_type)
            )
        if self._result_types:
            # Typed result columns: SQLAlchemy converts what the driver leaves raw
            # (SQLite's text datetimes) exactly as it would for a Core select.
            statement = statement.columns(**dict(self._result_types))  # type: ignore[assignment]
        self._conn = self._engine.connect()
        streaming = self._conn.execution_options(stream_results=True, yield_per=self._batch_size)
        self._result = streaming.execute(statement, params)
        self._names = list(self._result.keys())
        self._parts = self._result.partitions(self._batch_size)

    def next_batch(self) -> pa.RecordBatch | None:
        """The next batch of rows, or None at the end."""
        assert self._parts is not None
        rows = next(self._parts, None)
        if not rows:
            return None
        columns = list(zip(*rows, strict=True))
        arrays = [
            to_array(values, self._arrow_types.get(name))
            for name, values in zip(self._names, columns, strict=True)
        ]
        return self._keeper.fit(pa.RecordBatch.from_arrays(arrays, names=self._names))

    def close(self) -> None:
        """Close the cursor and the connection (idempotent)."""
        result, self._result = self._result, None
        conn, self._conn = self._conn, None
        try:
            if result is not None:
                result.close()
        finally:
            if conn is not None:
                conn.close()
            self._engine.dispose()
