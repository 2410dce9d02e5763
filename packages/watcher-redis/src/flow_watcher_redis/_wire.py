"""``RespConnection``: one RESP2 connection on an asyncio protocol, parsed by hiredis.

Why not redis-py's connection: its replies reach only a task awaiting
``read_response()``, so a watcher learns of a keyspace event one event-loop
turn after the bytes arrive, and only then can it send the ``GET`` that fetches
the new value. Here the subscriber's ``on_data`` runs as the bytes arrive and
writes the ``GET`` at once, before they are even parsed. That was most of the
cost: write → validated value p50 went from 1.7x a raw keyspace notification
to about 1.3x (``benchmarks/watch_redis.py``). The watcher needs five commands
(AUTH, SELECT, CONFIG GET, SUBSCRIBE, GET), so the protocol work left to do by
hand is small; hiredis (the Redis project's own parser, which redis-py uses
too) does the parsing.

Replies go to a callback per request, as values, errors included: a
:class:`ReplyError` for an error reply, a :class:`ConnectionLost` when the
connection ended first.
"""

from __future__ import annotations

import asyncio
import functools
import socket
import ssl
from collections import deque
from collections.abc import Callable
from typing import Any

import hiredis

__all__ = [
    "ConnectionLost",
    "OnReply",
    "ProtocolViolation",
    "ReplyError",
    "RespConnection",
    "connect",
    "pack",
]


class ReplyError(Exception):
    """The server answered with an error reply; ``str()`` is the server's text."""


class ConnectionLost(ConnectionError):
    """The connection ended before the reply came (server gone, closed by us, bad bytes)."""


class ProtocolViolation(ConnectionLost):
    """The peer sent bytes that are not RESP (not a Redis server, or TLS on a plain port)."""


def pack(*parts: bytes) -> bytes:
    """One command as a RESP array of bulk strings."""
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


#: Called with one reply: the value, or a :class:`ReplyError` / :class:`ConnectionLost`.
OnReply = Callable[[Any], None]


class RespConnection(asyncio.Protocol):
    """A request/reply RESP2 connection, which can also be subscribed to a channel.

    Once ``on_data`` is set (after SUBSCRIBE is confirmed), it is called each
    time bytes arrive, before they are parsed. The channel's ``message`` pushes
    are dropped: the subscriber only needs to know that an event came.
    ``on_lost`` is called once when the connection ends, whoever ended it.
    """

    def __init__(self, on_lost: Callable[[ConnectionLost], None] | None = None) -> None:
        self.on_data: Callable[[], None] | None = None
        self._on_lost = on_lost
        self._parser = hiredis.Reader(replyError=ReplyError)
        self._waiting: deque[OnReply] = deque()
        self._transport: asyncio.Transport | None = None
        self._answered = False
        self.lost: ConnectionLost | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        self._answered = True
        if self.on_data is not None:
            self.on_data()
        self._parser.feed(data)
        try:
            while (reply := self._parser.gets()) is not False:
                self._deliver(reply)
        except hiredis.ProtocolError as exc:
            self._end(ProtocolViolation(f"the server does not speak the Redis protocol ({exc})"))

    def connection_lost(self, exc: Exception | None) -> None:
        reason = f"connection lost ({exc})" if exc else "connection closed"
        if not self._answered:
            # What a TLS-only port does to plain text; say so, since it is retried as an outage.
            reason += "; the server answered nothing: if its port speaks only TLS, use rediss://"
        self._end(ConnectionLost(reason))

    # -- requests ------------------------------------------------------------------------------

    def send(self, command: bytes, on_reply: OnReply) -> None:
        """Send a packed command; ``on_reply`` gets its reply, from the protocol's callback."""
        if self.lost is not None or self._transport is None:
            on_reply(self.lost or ConnectionLost("not connected"))
            return
        self._transport.write(command)
        self._waiting.append(on_reply)

    async def call(self, *parts: bytes) -> Any:
        """Send one command and return its reply; raise it if it is an error."""
        reply: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self.send(pack(*parts), functools.partial(_resolve, reply))
        value = await reply
        if isinstance(value, Exception):
            raise value
        return value

    def close(self) -> None:
        """Close the connection now; replies still awaited get :class:`ConnectionLost`."""
        self._end(ConnectionLost("connection closed"))

    # -- internals -----------------------------------------------------------------------------

    def _deliver(self, reply: Any) -> None:
        if type(reply) is list and len(reply) == 3 and reply[0] == b"message":
            # A subscribed channel's event: on_data has seen it arrive, or (when it came
            # with the SUBSCRIBE confirmation) the first read after subscribing covers it.
            # No reply to the commands sent here is a 3-list starting with b"message".
            return
        if self._waiting:
            self._waiting.popleft()(reply)
        else:
            self._end(ProtocolViolation(f"unexpected reply from the server: {reply!r:.80}"))

    def _end(self, lost: ConnectionLost) -> None:
        if self.lost is not None:
            return
        self.lost = lost
        if self._transport is not None:
            self._transport.abort()  # nothing of ours is worth flushing
        while self._waiting:
            self._waiting.popleft()(lost)
        if self._on_lost is not None:
            self._on_lost(lost)


def _resolve(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():  # a caller that timed out has cancelled it
        future.set_result(value)


async def connect(
    host: str,
    port: int,
    *,
    tls: ssl.SSLContext | None = None,
    on_lost: Callable[[ConnectionLost], None] | None = None,
) -> RespConnection:
    """Open a TCP (or TLS) connection to ``host:port``; bound it with ``asyncio.timeout``."""
    loop = asyncio.get_running_loop()
    transport, connection = await loop.create_connection(
        lambda: RespConnection(on_lost),
        host,
        port,
        ssl=tls,
        server_hostname=host if tls is not None else None,
    )
    sock = transport.get_extra_info("socket")
    if sock is not None:  # a silently dead peer is noticed within about a minute
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    return connection
