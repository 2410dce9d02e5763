"""One connected session: a subscriber connection and a reader connection to one server.

Order matters: the subscription is confirmed by the server *before* the key
is first read, so no write can fall between the read and the subscription.

After that, whenever the subscriber receives bytes (a keyspace event on the
key: ``set``, ``del``, ``expired``, ``rename_to``, …), the reader sends a
``GET`` at once, from the protocol callback. Redis announces an event only
after the command has changed the key, so that ``GET`` sees the change (or a
later one), and a deletion reads as ``None``.

At most one ``GET`` is in flight: events that arrive meanwhile only mark it
stale, and its reply is followed by one more ``GET``. So a write storm costs
the server one read per round trip, not one per write, and the last event
is always followed by a read. Only the newest reply waits for ``next()``:
a slow consumer skips values, never falls behind.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Sequence
from typing import Any

from flow.errors import SourceError, SourceTypeError
from flow.live.change import Change

from ._settings import RedisSettings
from ._wire import ConnectionLost, ReplyError, RespConnection, connect, pack

__all__ = ["RedisSession"]

_NOTHING: Any = object()  # no reply waiting for next()

# Event classes the watcher needs: K = keyspace channel, g = del/expire/rename,
# $ = string writes, x = expiry. "A" is the alias that includes all of g$x.
_NEEDED_FLAGS = "g$x"


class RedisSession:
    """Two connections to one server: one subscribed to the key's channel, one reading it.

    A :class:`~flow.live.reconnect.WatchSession`: ``open()``, then ``next()``
    gives the key's value now, then its value after each event on the key.
    A read that gets no reply within the source's ``timeout`` ends the session.
    """

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self._get = pack(b"GET", settings.key_bytes)
        self._subscriber: RespConnection | None = None
        self._reader: RespConnection | None = None
        self._latest: Any = _NOTHING  # the newest GET reply not yet taken by next()
        self._in_flight = False  # a GET was sent and not answered yet
        self._stale = False  # an event came after the GET in flight was sent
        self._asked_at = 0.0  # when the GET in flight was sent (loop time)
        self._arrival: asyncio.Future[None] | None = None  # next() waits on it for a value
        self._lost: Exception | None = None
        self._overdue_check: asyncio.TimerHandle | None = None
        self._closed = False

    async def open(self) -> None:
        """Connect, check the server's notification settings, subscribe, then read the key."""
        settings, tls = self.settings, self.settings.ssl_context()
        async with asyncio.timeout(settings.timeout):
            subscriber = self._subscriber = await self._connect(tls)
            await self._login(subscriber)
            reader = self._reader = await self._connect(tls)
            await self._login(reader)
            if settings.db:
                await reader.call(b"SELECT", b"%d" % settings.db)
            await self._check_notifications(reader)
            reply = await subscriber.call(b"SUBSCRIBE", settings.channel)
        if not _is_reply(reply, b"subscribe"):
            raise ConnectionLost(f"unexpected answer to SUBSCRIBE: {reply!r:.80}")
        subscriber.on_data = self._on_event
        self._read()
        self._check_overdue()

    async def next(self) -> Change:
        """The key's value now on the first call; then its value after the next event."""
        while self._latest is _NOTHING:
            if self._lost is not None:
                raise self._lost
            self._arrival = asyncio.get_running_loop().create_future()
            await self._arrival
        reply, self._latest = self._latest, _NOTHING
        if isinstance(reply, ReplyError) and str(reply).startswith("WRONGTYPE"):
            raise await self._type_error()
        if isinstance(reply, Exception):
            raise reply
        return Change(reply)

    async def close(self) -> None:
        """Close both connections; a ``next()`` waiting on either of them raises at once."""
        self._closed = True
        if self._overdue_check is not None:
            self._overdue_check.cancel()
        for connection in (self._subscriber, self._reader):
            if connection is not None:
                connection.close()

    # -- the hot path: protocol callbacks, not tasks ------------------------------------------

    def _on_event(self) -> None:
        """A keyspace event on the key is arriving: read the value now, or after this read."""
        if self._in_flight:
            self._stale = True
        else:
            self._read()

    def _read(self) -> None:
        assert self._reader is not None  # subscribed only once both are open
        self._in_flight, self._stale = True, False
        self._asked_at = asyncio.get_running_loop().time()
        self._reader.send(self._get, self._on_value)

    def _on_value(self, reply: Any) -> None:
        self._in_flight = False
        if self._stale and not isinstance(reply, ConnectionLost):
            self._read()  # an event came after this read was sent: it may predate the write
        self._latest = reply
        self._wake()

    def _stop(self, lost: Exception) -> None:
        if self._lost is None:
            self._lost = lost
        self._wake()

    def _wake(self) -> None:
        if self._arrival is not None and not self._arrival.done():
            self._arrival.set_result(None)

    def _check_overdue(self) -> None:
        """Every half timeout: end the session if the oldest read has waited past the timeout."""
        loop = asyncio.get_running_loop()
        timeout = self.settings.timeout
        if self._in_flight and loop.time() - self._asked_at > timeout:
            self._stop(TimeoutError(f"the server did not answer a GET within {timeout:g} s"))
            return
        self._overdue_check = loop.call_later(timeout / 2, self._check_overdue)

    # -- opening -------------------------------------------------------------------------------

    async def _connect(self, tls: ssl.SSLContext | None) -> RespConnection:
        settings = self.settings
        connection = await connect(settings.host, settings.port, tls=tls, on_lost=self._stop)
        if self._closed:  # close() ran while this one was connecting: nobody else will close it
            connection.close()
            raise ConnectionLost("the session was closed while connecting")
        return connection

    async def _login(self, connection: RespConnection) -> None:
        settings = self.settings
        if settings.password is None:
            return
        user = () if settings.username is None else (settings.username.encode(),)
        await connection.call(b"AUTH", *user, settings.password.encode())

    async def _check_notifications(self, reader: RespConnection) -> None:
        """Refuse a server whose keyspace notifications are off: the watcher would go stale."""
        try:
            reply = await reader.call(b"CONFIG", b"GET", b"notify-keyspace-events")
        except ReplyError:
            return  # CONFIG is refused or renamed (managed Redis, ACL): trust the operator
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
        if self._reader is not None:
            try:
                async with asyncio.timeout(self.settings.timeout):
                    kind = "a " + _text(await self._reader.call(b"TYPE", self.settings.key_bytes))
            except (ReplyError, OSError, TimeoutError):
                pass  # the type only makes the message nicer
        return SourceTypeError(
            f"{self.settings.redacted}: key {self.settings.key!r} holds {kind}, not a string; "
            "the redis watcher reads string values (SET/GET): store the value as a string "
            "(e.g. JSON) or watch another key"
        )


def _is_reply(reply: object, kind: bytes) -> bool:
    return isinstance(reply, list) and len(reply) == 3 and reply[0] == kind


def _config_value(reply: object) -> str | None:
    if isinstance(reply, Sequence) and len(reply) == 2:
        return _text(reply[1])
    return None


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
