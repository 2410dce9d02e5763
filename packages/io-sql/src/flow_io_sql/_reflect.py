"""What a database says about a table: its columns and their types (SQLAlchemy reflection)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ._errors import SqlConfigError

__all__ = ["split_table", "table_columns"]


def split_table(name: str) -> tuple[str | None, str]:
    """``(schema, table)`` of ``table`` or ``schema.table``."""
    schema, _, table = name.rpartition(".")
    return schema or None, table


def table_columns(conn: sa.Connection, name: str, where: str) -> dict[str, Any]:
    """Column name → SQLAlchemy type, in table order; a missing table is a clear error."""
    schema, table = split_table(name)
    try:
        columns = sa.inspect(conn).get_columns(table, schema=schema)
    except sa.exc.NoSuchTableError:
        columns = []
    if not columns:  # SQLite reflects a missing table as no columns
        raise SqlConfigError(f"{where}: table {name!r} does not exist; check table:")
    return {c["name"]: c["type"] for c in columns}
