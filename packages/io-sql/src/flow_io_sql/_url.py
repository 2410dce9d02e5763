"""Database URLs: parsed and checked once, redacted for every message."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL

from ._errors import SqlConfigError

__all__ = ["adbc_uri", "parse_url", "redacted"]


def parse_url(text: str, where: str, project_dir: Path | None = None) -> URL:
    """The SQLAlchemy URL of ``connection:``; ``postgresql://`` means psycopg 3.

    A relative SQLite file (``sqlite:///data/app.db``) is taken relative to the
    project directory, like every other path in flow.yml.

    SQLAlchemy's default PostgreSQL driver is psycopg2; Flow installs psycopg
    (3), so a plain ``postgresql://`` URL is pointed at it when psycopg2 is absent.
    """
    try:
        url = sa.make_url(text)
    except (sa.exc.ArgumentError, ValueError):
        # The message of a malformed URL may echo it, password and all: say only what to do.
        raise SqlConfigError(
            f"{where}: connection is not a database URL; write it as "
            "dialect+driver://user:password@host:port/database (e.g. sqlite:///data/app.db)"
        ) from None
    if url.drivername == "postgresql" and importlib.util.find_spec("psycopg2") is None:
        url = url.set(drivername="postgresql+psycopg")
    database = url.database
    if (
        project_dir is not None
        and url.get_backend_name() == "sqlite"
        and database
        and database != ":memory:"
        and not database.startswith("file:")
        and not Path(database).is_absolute()
    ):
        url = url.set(database=str(project_dir / database))
    return url


def redacted(url: URL) -> str:
    """The URL with its password hidden (``***``)."""
    return url.render_as_string(hide_password=True)


def adbc_uri(url: URL) -> str:
    """The libpq URI the ADBC PostgreSQL driver takes for a SQLAlchemy PostgreSQL URL."""
    return url.set(drivername="postgresql").render_as_string(hide_password=False)
