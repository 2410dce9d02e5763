"""One connected session: a subscriber connection and a reader connection to one server.

The session uses redis-py's ``redis.asyncio.Connection`` directly rather than
``Redis`` + ``PubSub``: those reconnect and re-subscribe on their own (and
retry commands), which would hide an outage from the watcher, so it could not
re-read the key afterwards. A bare connection fails loudly instead, and the
watcher reconnects on its own terms. It is also the shortest path from a
notification to the value, which is what this package is measured on.

Order matters: the subscription is confirmed by the server *before* the key
is first read, so no write can fall between the read and the subscription.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from flow.errors import SourceError, SourceTypeError
from flow.live.change import Change
from redis import exceptions as rx
from redis.asyncio.connection import Connection, SSLConnection

from ._settings import RedisSettings

__all__ = ["ABSENT_EVENTS", "UNCHANGED_EVENTS", "RedisSession", "SessionClosed"]

#: Keyspace events after which the key no longer exists in the watched db.
ABSENT_EVENTS = frozenset({b"del", b"expired", b"evicted", b"rename_from", b"move_from"})
#: Keyspace events that change a key's TTL but never its value (no read needed).
UNCHANGED_EVENTS = frozenset({b"expire", b"persist"})
# Event classes the watcher needs: K = keyspace channel, g = del/expire/rename,
# $ = string writes, x = expiry. "A" is the alias that includes all of g$x.
_NEEDED_FLAGS = "g$x"


class SessionClosed(Exception):
    """The watcher was closed while the session was in use (not an error to report)."""


class RedisSession:
    """Two connections to one server: one subscribed to the key's channel, one reading it.

    A :class:`~flow.live.reconnect.WatchSession`: ``open()``, then ``next()``
    gives the key's value now, then its value after each event that can change it.
    """

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self.closed = False
        self._read_once = False
        self._subscriber = _connection(settings, db=0)  # channels are not per-db
        self._reader = _connection(settings, db=settings.db)
        self._get = self._reader.pack_command("GET", settings.key_bytes)

    async def open(self) -> None:
        """Connect, check the server's notification settings, subscribe and await the ack."""
        async with asyncio.timeout(self.settings.timeout):
            # redis-py leaves connect() unannotated.
            await self._subscriber.connect()  # type: ignore[no-untyped-call]
            self._check_open()
            await self._reader.connect()  # type: ignore[no-untyped-call]
            self._check_open()
            await self._check_notifications()
            await self._subscriber.send_command("SUBSCRIBE", self.settings.channel)
            reply = await self._subscriber.read_response()
            self._check_open()
        if not _is_reply(reply, b"subscribe"):
            raise rx.ConnectionError(f"unexpected answer to SUBSCRIBE: {reply!r}")

    async def next(self) -> Change:
        """The key's state now on the first call; then its state after the next change.

        Events that remove the key (``del``, ``expired``, …) give ``Change(None)``
        without a read; events that only touch its TTL are skipped.
        """
        if not self._read_once:
            self._read_once = True
            return Change(await self.read())
        while True:
            event = await self.next_event()
            if event in ABSENT_EVENTS:
                return Change(None)
            if event not in UNCHANGED_EVENTS:
                return Change(await self.read())

    async def read(self) -> bytes | None:
        """The key's current value (None when absent); ``SourceTypeError`` if not a string."""
        try:
            async with asyncio.timeout(self.settings.timeout):
                await self._reader.send_packed_command(self._get, check_health=False)
                value = await self._reader.read_response()
        except rx.ResponseError as exc:
            if str(exc).startswith("WRONGTYPE"):
                raise await self._type_error() from None
            raise
        self._check_open()
        return value  # type: ignore[no-any-return]

    async def next_event(self) -> bytes:
        """Wait for the next keyspace event on the key (``b"set"``, ``b"del"``, …)."""
        while True:
            message = await self._subscriber.read_response()
            self._check_open()
            if _is_reply(message, b"message"):
                event: bytes = message[2]
                return event

    async def close(self) -> None:
        """Close both connections; a read waiting on either of them ends at once."""
        self.closed = True
        for connection in (self._subscriber, self._reader):
            # Closing a broken socket may complain; it is gone either way.
            with contextlib.suppress(rx.RedisError, OSError):
                # nowait: another task may still be reading from this connection.
                await connection.disconnect(nowait=True)

    # -- internals ---------------------------------------------------------------------------

    def _check_open(self) -> None:
        # A connection closed by close() would reconnect on its next send; never let it.
        if self.closed:
            raise SessionClosed

    async def _check_notifications(self) -> None:
        """Refuse a server whose keyspace notifications are off: the watcher would go stale."""
        try:
            await self._reader.send_command("CONFIG", "GET", "notify-keyspace-events")
            reply = await self._reader.read_response()
        except rx.ResponseError:
            return  # CONFIG is refused or renamed (managed Redis, ACL): trust the operator
        self._check_open()
        flags = _config_value(reply)
        if flags is None:
            return
        if "K" in flags and ("A" in flags or all(f in flags for f in _NEEDED_FLAGS)):
            return
        raise SourceError(
            f"{self.settings.redacted}: the server's keyspace notifications are off "
            f"(notify-keyspace-events={flags!r}), so changes would never be seen; run "
            "`CONFIG SET notify-keyspace-events KEA` (at least K$gx) or start redis-server "
            "with --notify-keyspace-events KEA"
        )

    async def _type_error(self) -> SourceTypeError:
        kind = "another type"
        try:
            async with asyncio.timeout(self.settings.timeout):
                await self._reader.send_command("TYPE", self.settings.key_bytes)
                kind = "a " + _text(await self._reader.read_response())
        except (rx.RedisError, OSError, TimeoutError):
            pass  # the type only makes the message nicer
        return SourceTypeError(
            f"{self.settings.redacted}: key {self.settings.key!r} holds {kind}, not a string; "
            "the redis watcher reads string values (SET/GET): store the value as a string "
            "(e.g. JSON) or watch another key"
        )


def _connection(settings: RedisSettings, *, db: int) -> Connection:
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "db": db,
        "username": settings.username,
        "password": settings.password,
        # Reads block until an event comes; every bounded step has an asyncio.timeout
        # of its own (cheaper than redis-py's per-call wait_for on the hot path).
        "socket_timeout": None,
        "socket_connect_timeout": settings.timeout,
        "socket_keepalive": True,  # a silently dead peer is noticed within about a minute
        "protocol": 2,  # plain pub/sub replies; works with every server version
    }
    if not settings.tls:
        return Connection(**options)
    tls = settings.tls_options
    reqs = tls.get("ssl_cert_reqs", "required")
    return SSLConnection(
        ssl_ca_certs=tls.get("ssl_ca_certs"),
        ssl_certfile=tls.get("ssl_certfile"),
        ssl_keyfile=tls.get("ssl_keyfile"),
        ssl_cert_reqs=reqs,
        ssl_check_hostname=reqs == "required",
        **options,
    )


def _is_reply(reply: object, kind: bytes) -> bool:
    return isinstance(reply, list) and len(reply) == 3 and reply[0] == kind


def _config_value(reply: object) -> str | None:
    if isinstance(reply, Sequence) and len(reply) == 2:
        return _text(reply[1])
    if isinstance(reply, dict) and len(reply) == 1:
        return _text(next(iter(reply.values())))
    return None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
