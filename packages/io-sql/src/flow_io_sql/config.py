"""The ``home:`` and ``store:`` options of ``type: sql`` (validated by pydantic)."""

from __future__ import annotations

import re
from typing import Literal

import pydantic
from flow.dataflows.arrow_types import check_column_types
from flow.dataflows.protocols import HomeConfig, StoreConfig

from ._where import check_where

__all__ = ["SqlHomeConfig", "SqlStoreConfig", "check_table_name"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def check_table_name(value: str) -> str:
    """``table`` or ``schema.table`` made of letters, digits, ``_`` and ``$``."""
    if not _NAME.match(value):
        raise ValueError(
            f"table {value!r} is not a plain name; write table or schema.table "
            "(letters, digits, _ and $); use query: for anything else"
        )
    return value


class SqlHomeConfig(HomeConfig):
    """``home: {type: sql, connection: ${DATABASE_URL}, table: orders, where: "..."}``."""

    type: Literal["sql"] = "sql"
    #: A SQLAlchemy URL (``postgresql://user:${PGPASSWORD}@host/db``, ``sqlite:///app.db``).
    #: Kept secret: it is never printed (``describe()`` and errors redact the password).
    connection: pydantic.SecretStr
    #: The table to read (``table`` or ``schema.table``); exactly one of table and query.
    table: str | None = None
    #: A SELECT whose rows are the entity; exactly one of table and query.
    query: str | None = None
    #: A condition on the table's rows (trusted SQL from the project; see ``_where``).
    where: str | None = None
    #: Columns to read (all when omitted).
    columns: list[str] | None = None
    #: Arrow types per column, overriding the mapping documented in ``_types``.
    column_types: dict[str, str] = pydantic.Field(default_factory=dict)
    #: Rows per batch; the entity's ``batch_size`` when omitted.
    batch_size: int | None = pydantic.Field(default=None, ge=1)
    #: ``adbc`` reads PostgreSQL through ADBC (COPY into Arrow, much faster);
    #: ``sqlalchemy`` through a server-side cursor; ``auto`` uses ADBC when the URL is
    #: PostgreSQL and ``flow-io-sql[adbc]`` is installed.
    engine: Literal["auto", "adbc", "sqlalchemy"] = "auto"

    @pydantic.field_validator("table")
    @classmethod
    def _table(cls, value: str | None) -> str | None:
        return None if value is None else check_table_name(value)

    @pydantic.field_validator("where")
    @classmethod
    def _where(cls, value: str | None) -> str | None:
        return None if value is None else check_where(value)

    @pydantic.field_validator("query")
    @classmethod
    def _query(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip(";").strip()
        if not text:
            raise ValueError("query is empty")
        if ";" in text:
            raise ValueError("query must be one SELECT statement (no ';' inside)")
        return text

    @pydantic.field_validator("column_types")
    @classmethod
    def _types(cls, value: dict[str, str]) -> dict[str, str]:
        check_column_types(value)
        return value

    @pydantic.model_validator(mode="after")
    def _source(self) -> SqlHomeConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table and query")
        if self.where is not None and self.table is None:
            raise ValueError("where goes with table; put the condition inside query instead")
        return self


class SqlStoreConfig(StoreConfig):
    """``store: {type: sql, connection: ${WAREHOUSE_URL}, table: orders, mode: merge}``."""

    type: Literal["sql"] = "sql"
    #: A SQLAlchemy URL; kept secret like the home's.
    connection: pydantic.SecretStr
    #: The published table (``table`` or ``schema.table``); created when missing.
    table: str
    #: ``replace``: the table holds exactly the run's rows; ``append``: the run's rows are
    #: added; ``merge``: upsert on the entity's ``key`` (the default when it has one).
    mode: Literal["replace", "append", "merge"] | None = None
    #: ``adbc`` bulk-loads PostgreSQL staging with ADBC (COPY); ``sqlalchemy`` with psycopg
    #: COPY on PostgreSQL and executemany elsewhere; ``auto`` prefers ADBC when installed.
    engine: Literal["auto", "adbc", "sqlalchemy"] = "auto"

    @pydantic.field_validator("table")
    @classmethod
    def _table(cls, value: str) -> str:
        return check_table_name(value)
