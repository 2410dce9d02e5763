"""Bulk loading record batches into the staging table.

* PostgreSQL with ADBC: ``adbc_ingest`` (COPY binary straight from Arrow).
* PostgreSQL without it: psycopg's ``COPY … FROM STDIN`` through SQLAlchemy's connection.
* Any other database: ``executemany`` of an INSERT (SQLAlchemy batches it).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import sqlalchemy as sa

__all__ = ["AdbcLoader", "load_copy", "load_executemany"]


class AdbcLoader:
    """One ADBC connection that appends batches to a table (kept for a store run)."""

    def __init__(self, uri: str) -> None:
        import adbc_driver_postgresql.dbapi as pgdb  # type: ignore[import-not-found,unused-ignore]

        self._conn: Any = pgdb.connect(uri)

    def load(self, table: sa.Table, batch: pa.RecordBatch) -> None:
        """Append ``batch`` to ``table`` and commit (staging is not visible to readers anyway)."""
        with self._conn.cursor() as cursor:
            cursor.adbc_ingest(table.name, batch, mode="append", db_schema_name=table.schema)
        self._conn.commit()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def load_copy(conn: sa.Connection, table: sa.Table, batch: pa.RecordBatch) -> None:
    """Append ``batch`` to ``table`` with psycopg's COPY (PostgreSQL without ADBC)."""
    preparer = conn.dialect.identifier_preparer
    names = ", ".join(preparer.quote(n) for n in batch.schema.names)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    raw: Any = conn.connection.dbapi_connection
    columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in zip(*columns, strict=True):
            copy.write_row(row)
    conn.commit()


def load_executemany(conn: sa.Connection, table: sa.Table, batch: pa.RecordBatch) -> None:
    """Append ``batch`` to ``table`` with one executemany INSERT."""
    conn.execute(sa.insert(table), batch.to_pylist())
    conn.commit()
