"""Fixtures of the flow-io-sql tests: a SQLite file, a real PostgreSQL, rows in tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flow.testing.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]


def sample_columns() -> list[sa.Column[Any]]:
    """The contract's sample columns (fresh objects: a Column belongs to one Table)."""
    return [
        sa.Column("id", sa.BigInteger, primary_key=True),
        sa.Column("name", sa.Text),
        sa.Column("amount", sa.Double),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
    ]


def engine_url(url: str) -> str:
    """``url`` with the psycopg 3 driver named (psycopg2 is not installed)."""
    return url.replace("postgresql://", "postgresql+psycopg://", 1)


def create_table(
    url: str,
    name: str,
    rows: Sequence[Mapping[str, Any]],
    columns: list[sa.Column[Any]] | None = None,
) -> None:
    """Create table ``name`` (the contract's sample columns by default) holding ``rows``."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        table = sa.Table(name, sa.MetaData(), *(columns or sample_columns()))
        with engine.begin() as conn:
            table.create(conn)
            if rows:
                conn.execute(table.insert(), list(rows))
    finally:
        engine.dispose()


def read_table(url: str, name: str) -> list[dict[str, Any]]:
    """Every row of table ``name`` (``[]`` when it does not exist)."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(name):
                return []
            table = sa.Table(name, sa.MetaData(), autoload_with=conn)
            return [dict(r._mapping) for r in conn.execute(sa.select(table))]
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    """The tables of the database (staging tables included)."""
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()


class Db:
    """The helpers above, handed to tests as the ``db`` fixture (tests do not import conftest)."""

    create_table = staticmethod(create_table)
    read_table = staticmethod(read_table)
    table_names = staticmethod(table_names)
    engine_url = staticmethod(engine_url)


@pytest.fixture
def db() -> type[Db]:
    """Table helpers: ``db.create_table(url, name, rows)``, ``db.read_table(url, name)``, …"""
    return Db


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database file in the test's directory."""
    return f"sqlite:///{tmp_path / 'app.db'}"
