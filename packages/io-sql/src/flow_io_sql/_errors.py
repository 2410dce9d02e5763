"""The errors of flow-io-sql (under :class:`flow.errors.DataFlowError`).

Messages name the database by its redacted URL: a password never appears.
"""

from __future__ import annotations

from flow.errors import DataFlowError

__all__ = ["SqlConfigError", "SqlError", "translate"]


class SqlError(DataFlowError):
    """A sql home or store could not read or write its database.

    ``transient`` tells the runner whether retrying may help (a lost
    connection) or not (a missing table, a syntax error).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class SqlConfigError(SqlError, ValueError):
    """A sql option is wrong: URL, table, query, where, columns (the message says which)."""


# Words of database errors that retrying cannot fix (PostgreSQL, SQLite, ADBC wording).
_PERMANENT_HINTS = (
    "does not exist",
    "no such table",
    "no such column",
    "syntax error",
    "permission denied",
    "authentication failed",
    "password",
    "unknown database",
    "invalid input",
    "violates",
    "constraint",
    "datatype mismatch",
    "cannot",
)


def translate(exc: BaseException, where: str, secret: str | None) -> SqlError:
    """A database driver's exception as a :class:`SqlError` naming ``where``, secret removed."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    message = " ".join(line.strip() for line in detail if line.strip()) or type(exc).__name__
    if secret:
        message = message.replace(secret, "***")
    lowered = message.lower()
    transient = not any(hint in lowered for hint in _PERMANENT_HINTS)
    return SqlError(f"{where}: {message}", transient=transient)
