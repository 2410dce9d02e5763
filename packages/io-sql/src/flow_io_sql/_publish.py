"""The statements of a sql store's publish, run in one transaction.

* ``replace``: ``DELETE FROM target`` then ``INSERT INTO target SELECT … FROM staging``.
  Delete + insert (not a table rename) keeps the target's own definition:
  indexes, grants, views that depend on it. PostgreSQL readers keep seeing
  the old rows until the commit (MVCC); SQLite readers wait for the commit.
* ``append``: ``INSERT INTO target SELECT … FROM staging``.
* ``merge``: the staged rows, one per key (the last written), upserted with
  ``INSERT … ON CONFLICT (key) DO UPDATE`` on PostgreSQL and SQLite when the
  target has a primary key or unique constraint on exactly the key columns
  (tables the store creates do); otherwise ``DELETE`` the target rows whose
  key is staged, then ``INSERT``, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

__all__ = ["SEQ", "has_unique_key", "merge", "staged_rows"]

#: The staging table's column numbering rows in the order they were written.
SEQ = "_flow_seq"


def staged_rows(
    staging: sa.Table, columns: Sequence[str], key: Sequence[str] | None
) -> sa.Select[Any]:
    """``SELECT columns FROM staging`` (one row per key, the last written, when ``key``)."""
    select = sa.select(*[staging.c[name] for name in columns])
    if key:
        last = sa.select(sa.func.max(staging.c[SEQ])).group_by(*[staging.c[k] for k in key])
        select = select.where(staging.c[SEQ].in_(last.scalar_subquery()))
    return select


def has_unique_key(conn: sa.Connection, table: sa.Table, key: Sequence[str]) -> bool:
    """Whether ``table`` has a primary key or unique constraint/index on exactly ``key``."""
    inspector = sa.inspect(conn)
    wanted = set(key)
    pk = inspector.get_pk_constraint(table.name, schema=table.schema)
    candidates = [pk.get("constrained_columns") or []]
    candidates += [
        u["column_names"] for u in inspector.get_unique_constraints(table.name, schema=table.schema)
    ]
    candidates += [
        [c for c in i["column_names"] if c is not None]
        for i in inspector.get_indexes(table.name, schema=table.schema)
        if i.get("unique")
    ]
    return any(set(c) == wanted for c in candidates)


def merge(
    conn: sa.Connection,
    target: sa.Table,
    staging: sa.Table,
    columns: Sequence[str],
    key: Sequence[str],
) -> None:
    """Upsert the staged rows into ``target`` on ``key`` (see the module docstring)."""
    rows = staged_rows(staging, columns, key)
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite") and has_unique_key(conn, target, key):
        from sqlalchemy.dialects import postgresql, sqlite

        insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(target).from_select(list(columns), rows)
        updates = {c: statement.excluded[c] for c in columns if c not in key}
        if updates:
            statement = statement.on_conflict_do_update(index_elements=list(key), set_=updates)
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        conn.execute(statement)
        return
    matches = sa.and_(*[target.c[k] == staging.c[k] for k in key])
    conn.execute(sa.delete(target).where(sa.exists().where(matches)))
    conn.execute(sa.insert(target).from_select(list(columns), rows))
