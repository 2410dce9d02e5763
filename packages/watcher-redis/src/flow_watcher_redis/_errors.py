"""Sorting redis-py's exceptions into permanent ``SourceError``s and transient outages.

A transient error (refused or dropped connection, timeout, server still
loading) makes the watcher reconnect with backoff. A permanent one (refused
credentials, missing permission, a database that does not exist, a TLS
handshake that can never succeed) ends ``changes()`` with a
:class:`~flow.SourceError` that names the redacted source and the fix.
Redis never echoes passwords in its errors, and neither do these messages.
"""

from __future__ import annotations

import ssl

from flow.errors import SourceAuthError, SourceError, SourceURIError
from redis import exceptions as rx

from ._settings import RedisSettings

__all__ = ["TRANSIENT", "permanent_error"]

#: Errors after which reconnecting may help (OSError covers refused and reset sockets).
TRANSIENT = (rx.ConnectionError, rx.TimeoutError, TimeoutError, OSError)


def permanent_error(exc: BaseException, settings: RedisSettings) -> SourceError | None:
    """The :class:`SourceError` that ``exc`` amounts to, or None when it is transient."""
    where = settings.redacted
    if isinstance(exc, rx.AuthenticationError | rx.AuthenticationWrongNumberOfArgsError):
        return SourceAuthError(
            f"{where}: the Redis server refused the credentials ({_reason(exc)}); give the "
            "right password (and ACL user) in the URI or in REDIS_PASSWORD / REDIS_USERNAME"
        )
    if isinstance(exc, rx.NoPermissionError):
        return SourceAuthError(
            f"{where}: the Redis user may not watch key {settings.key!r} ({_reason(exc)}); "
            f"its ACL needs +get +subscribe, the key (~{settings.key}) and the channel "
            f"(&__keyspace@{settings.db}__:{settings.key})"
        )
    if isinstance(exc, rx.ResponseError) and "DB index" in str(exc):
        return SourceURIError(
            f"{where}: database {settings.db} does not exist on the server ({_reason(exc)}); "
            "use a db number below the server's `databases` setting"
        )
    if isinstance(exc, rx.MovedError | rx.AskError):
        return SourceError(
            f"{where}: the server is part of a Redis Cluster and does not own key "
            f"{settings.key!r} ({_reason(exc)}); point the URI at the node that owns it "
            "(keyspace notifications are local to each node)"
        )
    tls_error = _tls_cause(exc)
    if tls_error is not None:
        return SourceError(
            f"{where}: the TLS handshake failed ({type(tls_error).__name__}: "
            f"{tls_error.reason or tls_error}); check that the port speaks TLS and give the "
            "server's CA as ?ssl_ca_certs=PATH (or ?ssl_cert_reqs=none to skip verification)"
        )
    if isinstance(exc, TRANSIENT):
        return None
    if isinstance(exc, rx.RedisError):
        return SourceError(f"{where}: the Redis server answered an error: {_reason(exc)}")
    return None


def _reason(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind ``exc`` (redis-py wraps it in a ConnectionError), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # An EOF during the handshake is a server going away, not a TLS mismatch.
        if isinstance(current, ssl.SSLError) and not isinstance(current, ssl.SSLEOFError):
            return current
        current = current.__cause__ or current.__context__
    return None
