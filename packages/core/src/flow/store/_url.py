"""Where the metadata store lives: URL resolution, the default SQLite path, and redaction.

No SQLAlchemy here: this runs before a store is opened and in error messages.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import StoreURLError
from ..redaction import redact as redact_url

__all__ = ["DATABASE_URL_ENV", "default_sqlite_url", "redact_url", "resolve_url"]

#: Environment variable naming the metadata store URL (e.g. for a shared PostgreSQL).
DATABASE_URL_ENV = "FLOW_DATABASE_URL"
_SUPPORTED = ("sqlite", "postgresql", "postgres")


def default_sqlite_url(project_dir: str | os.PathLike[str] | None = None) -> str:
    """``sqlite:///<project_dir or cwd>/.flow/flow.db`` (the directory is created)."""
    base = Path(project_dir) if project_dir is not None else Path.cwd()
    directory = base.absolute() / ".flow"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreURLError(
            f"cannot create the metadata store directory {directory}: {exc.strerror}; "
            f"pass project_dir= or set {DATABASE_URL_ENV}"
        ) from exc
    return f"sqlite:///{directory / 'flow.db'}"


def resolve_url(url: str | None, project_dir: str | os.PathLike[str] | None) -> str:
    """The URL to open: ``url``, else ``$FLOW_DATABASE_URL``, else the project's SQLite file."""
    if url is None:
        url = os.environ.get(DATABASE_URL_ENV, "").strip() or None
    if url is None:
        return default_sqlite_url(project_dir)
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower() if ":" in url else ""
    if scheme not in _SUPPORTED:
        raise StoreURLError(
            f"unsupported metadata store URL {redact_url(url)}: use sqlite:///path/to/flow.db "
            "or postgresql://user:password@host:5432/dbname"
        )
    return url
