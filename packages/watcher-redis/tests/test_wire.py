"""RespConnection against raw bytes on a real socket pair: chunking, pushes, bad bytes, loss."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from flow_watcher_redis._wire import (
    ConnectionLost,
    ProtocolViolation,
    ReplyError,
    RespConnection,
    pack,
)

DEADLINE = 5.0


@dataclass
class Peer:
    """The connection under test, and the raw socket playing the server."""

    connection: RespConnection
    server: socket.socket
    lost: list[ConnectionLost] = field(default_factory=list)

    async def received(self, size: int) -> bytes:
        return await asyncio.wait_for(asyncio.to_thread(self.server.recv, size), DEADLINE)


@pytest.fixture
async def peer() -> AsyncIterator[Peer]:
    client, server = socket.socketpair()
    lost: list[ConnectionLost] = []
    _, connection = await asyncio.get_running_loop().create_connection(
        lambda: RespConnection(on_lost=lost.append), sock=client
    )
    try:
        yield Peer(connection, server, lost)
    finally:
        connection.close()
        server.close()


def test_pack_writes_bulk_strings() -> None:
    assert pack(b"GET", b"k\r\ny") == b"*2\r\n$3\r\nGET\r\n$4\r\nk\r\ny\r\n"


async def test_a_reply_split_across_chunks_is_put_together(peer: Peer) -> None:
    call = asyncio.create_task(peer.connection.call(b"GET", b"k"))
    assert await peer.received(64) == pack(b"GET", b"k")
    peer.server.sendall(b"$5\r\nhel")
    await asyncio.sleep(0.01)  # let the first half arrive alone; nothing to await
    assert not call.done()
    peer.server.sendall(b"lo\r\n")
    assert await asyncio.wait_for(call, DEADLINE) == b"hello"


async def test_a_message_that_comes_with_the_subscribe_confirmation_is_dropped(
    peer: Peer,
) -> None:
    call = asyncio.create_task(peer.connection.call(b"SUBSCRIBE", b"ch"))
    await peer.received(64)
    confirmation = b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
    message = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$3\r\nset\r\n"
    peer.server.sendall(confirmation + message)
    assert await asyncio.wait_for(call, DEADLINE) == [b"subscribe", b"ch", 1]
    events: list[None] = []
    peer.connection.on_data = lambda: events.append(None)
    peer.server.sendall(message)
    get = asyncio.create_task(peer.connection.call(b"GET", b"k"))
    await peer.received(64)
    peer.server.sendall(b"$-1\r\n")
    assert await asyncio.wait_for(get, DEADLINE) is None  # the push did not take its place
    assert len(events) >= 1
    assert peer.connection.lost is None


async def test_an_error_reply_is_raised_by_call(peer: Peer) -> None:
    call = asyncio.create_task(peer.connection.call(b"AUTH", b"nope"))
    await peer.received(64)
    peer.server.sendall(b"-WRONGPASS invalid username-password pair\r\n")
    with pytest.raises(ReplyError, match=r"^WRONGPASS"):
        await asyncio.wait_for(call, DEADLINE)
    assert peer.connection.lost is None  # an error reply is not a broken connection


async def test_bytes_that_are_not_resp_end_the_connection(peer: Peer) -> None:
    call = asyncio.create_task(peer.connection.call(b"GET", b"k"))
    await peer.received(64)
    peer.server.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    with pytest.raises(ProtocolViolation, match="does not speak the Redis protocol"):
        await asyncio.wait_for(call, DEADLINE)
    assert len(peer.lost) == 1


async def test_a_reply_nobody_asked_for_ends_the_connection(peer: Peer) -> None:
    peer.server.sendall(b"+OK\r\n")
    async with asyncio.timeout(DEADLINE):
        while not peer.lost:  # noqa: ASYNC110 - on_lost is a plain callback, not an event
            await asyncio.sleep(0.005)
    assert isinstance(peer.lost[0], ProtocolViolation)
    assert "unexpected reply" in str(peer.lost[0])


async def test_the_server_closing_fails_every_waiting_call(peer: Peer) -> None:
    calls = [asyncio.create_task(peer.connection.call(b"GET", b"k")) for _ in range(3)]
    await peer.received(256)
    peer.server.close()
    for call in calls:
        with pytest.raises(ConnectionLost):
            await asyncio.wait_for(call, DEADLINE)
    assert len(peer.lost) == 1
    with pytest.raises(ConnectionLost):  # and any call after that, at once
        await peer.connection.call(b"GET", b"k")


async def test_close_fails_waiting_calls_and_reports_once(peer: Peer) -> None:
    call = asyncio.create_task(peer.connection.call(b"GET", b"k"))
    await peer.received(64)
    peer.connection.close()
    peer.connection.close()
    with pytest.raises(ConnectionLost, match="closed"):
        await asyncio.wait_for(call, DEADLINE)
    assert len(peer.lost) == 1
