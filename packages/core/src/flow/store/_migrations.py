"""Versioned schema migrations, applied when a store is opened.

Hand-written rather than Alembic: Alembic is the well-kept tool for
migrations a person runs (``alembic upgrade head``), but it wants a script
directory with ``env.py`` and an ini file resolved at run time. This store is
embedded and migrates itself on open, from inside an installed wheel, on
SQLite and PostgreSQL alike; an ordered list of small functions using
SQLAlchemy DDL, applied in one transaction under a lock, does that in ~50
lines with nothing to configure. Alembic stays an option for operators who
want offline SQL scripts.

Rules for new migrations: append, never edit a released one; a migration
receives a connection inside the open transaction and must use DDL that is
transactional on both databases (SQLite and PostgreSQL both roll DDL back).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, func, insert, select, text

from ..errors import SchemaVersionError
from . import _schema as schema
from ._database import Database

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "migrate"]

# A fixed key for pg_advisory_xact_lock: serialises concurrent openers of one database.
_PG_LOCK_KEY = 0x464C4F57  # "FLOW"


@dataclass(frozen=True, slots=True)
class Migration:
    """One schema step: ``version`` (1, 2, …), a description, and the DDL to run."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1_initial(conn: Connection) -> None:
    # Version 1 is the schema in _schema.py as first released. When a later
    # migration alters a table, freeze v1's table definitions here first.
    tables = [t for t in schema.metadata.sorted_tables if t is not schema.schema_versions]
    schema.metadata.create_all(conn, tables=tables)


MIGRATIONS: tuple[Migration, ...] = (Migration(1, "initial schema", _v1_initial),)
#: The schema version this code writes and understands.
SCHEMA_VERSION = MIGRATIONS[-1].version


def migrate(db: Database) -> int:
    """Bring ``db`` to :data:`SCHEMA_VERSION`; returns the version found before migrating.

    Runs in one write transaction: on SQLite ``BEGIN IMMEDIATE`` serialises
    concurrent openers, on PostgreSQL an advisory transaction lock does.
    """
    return db.write(lambda conn: _migrate(conn, db.url, db))


def _migrate(conn: Connection, url: str, db: Database) -> int:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    schema.schema_versions.create(conn, checkfirst=True)
    found = conn.execute(select(func.max(schema.schema_versions.c.version))).scalar() or 0
    if found > SCHEMA_VERSION:
        raise SchemaVersionError(
            f"metadata store {url} has schema version {found}, but this Flow understands "
            f"versions up to {SCHEMA_VERSION}: upgrade flow-core, or point FLOW_DATABASE_URL "
            "at another database"
        )
    for migration in MIGRATIONS:
        if migration.version <= found:
            continue
        migration.apply(conn)
        conn.execute(
            insert(schema.schema_versions).values(
                version=migration.version, description=migration.description, applied_at=db.now()
            )
        )
    return int(found)
