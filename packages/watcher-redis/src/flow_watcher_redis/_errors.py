"""Sorting failures into permanent ``SourceError``s and transient outages.

A transient error (refused or dropped connection, timeout, server still
loading) makes the watcher reconnect with backoff. A permanent one (refused
credentials, missing permission, a database that does not exist, a TLS
handshake that can never succeed) ends ``changes()`` with a
:class:`~flow.SourceError` that names the redacted source and the fix.
Redis never echoes passwords in its errors, and neither do these messages.
Error replies are told apart by their prefix, as Redis documents them.
"""

from __future__ import annotations

import ssl

from flow.errors import SourceAuthError, SourceError, SourceURIError

from ._settings import RedisSettings
from ._wire import ProtocolViolation, ReplyError

__all__ = ["TRANSIENT", "TRANSIENT_REPLIES", "permanent_error"]

#: Errors after which reconnecting may help (OSError covers refused, reset and lost sockets).
TRANSIENT = (TimeoutError, OSError)
#: Error replies of a server that is starting, busy or failing over: reconnecting helps.
TRANSIENT_REPLIES = ("LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN")
#: Error replies that refuse the credentials (Redis 6+ ACL, and older servers' wording).
_AUTH_REPLIES = ("WRONGPASS", "NOAUTH", "ERR invalid password", "ERR AUTH", "ERR Client sent AUTH")


def permanent_error(exc: BaseException, settings: RedisSettings) -> SourceError | None:
    """The :class:`SourceError` that ``exc`` amounts to, or None when it is transient."""
    if isinstance(exc, ReplyError):
        return _reply_error(str(exc), settings)
    if isinstance(exc, ProtocolViolation):
        return SourceError(
            f"{settings.redacted}: {exc}; check the host and port (a TLS-only port needs rediss://)"
        )
    tls_error = _tls_cause(exc)
    if tls_error is not None:
        return SourceError(
            f"{settings.redacted}: the TLS handshake failed ({type(tls_error).__name__}: "
            f"{tls_error.reason or tls_error}); check that the port speaks TLS and give the "
            "server's CA as ?ssl_ca_certs=PATH (or ?ssl_cert_reqs=none to skip verification)"
        )
    return None if isinstance(exc, TRANSIENT) else SourceError(f"{settings.redacted}: {exc}")


def _reply_error(reason: str, settings: RedisSettings) -> SourceError | None:
    where = settings.redacted
    if reason.startswith(TRANSIENT_REPLIES):
        return None
    if reason.startswith(_AUTH_REPLIES):
        return SourceAuthError(
            f"{where}: the Redis server refused the credentials ({reason}); give the "
            "right password (and ACL user) in the URI or in REDIS_PASSWORD / REDIS_USERNAME"
        )
    if reason.startswith("NOPERM"):
        return SourceAuthError(
            f"{where}: the Redis user may not watch key {settings.key!r} ({reason}); "
            f"its ACL needs +get +subscribe, the key (~{settings.key}) and the channel "
            f"(&__keyspace@{settings.db}__:{settings.key})"
        )
    if "DB index" in reason:
        return SourceURIError(
            f"{where}: database {settings.db} does not exist on the server ({reason}); "
            "use a db number below the server's `databases` setting"
        )
    if reason.startswith(("MOVED", "ASK")):
        return SourceError(
            f"{where}: the server is part of a Redis Cluster and does not own key "
            f"{settings.key!r} ({reason}); point the URI at the node that owns it "
            "(keyspace notifications are local to each node)"
        )
    return SourceError(f"{where}: the Redis server answered an error: {reason}")


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    """The ssl error behind ``exc`` (possibly chained under a connection error), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        # An EOF during the handshake is a server going away, not a TLS mismatch.
        if isinstance(current, ssl.SSLError) and not isinstance(current, ssl.SSLEOFError):
            return current
        current = current.__cause__ or current.__context__
    return None
