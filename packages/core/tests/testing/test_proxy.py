"""TcpProxy in front of a real (in-process) TCP echo server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from flow.testing import TcpProxy

DEADLINE = 5.0


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1024):
            writer.write(data)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(echo, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()


async def roundtrip(port: int, message: bytes, timeout: float = DEADLINE) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(message)
        async with asyncio.timeout(timeout):
            return await reader.readexactly(len(message))
    finally:
        writer.close()


async def test_forwards_both_ways_and_counts_connections(echo_port: int) -> None:
    async with TcpProxy(echo_port) as proxy:
        assert await roundtrip(proxy.port, b"hello") == b"hello"
        assert await roundtrip(proxy.port, b"again") == b"again"
        assert proxy.connections == 2


async def test_cut_drops_open_connections_and_refuses_until_restored(echo_port: int) -> None:
    async with TcpProxy(echo_port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), DEADLINE) == b"x"
        await proxy.cut()
        assert await asyncio.wait_for(reader.read(), DEADLINE) == b""  # closed under us
        writer.close()
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            await roundtrip(proxy.port, b"refused")
        proxy.restore()
        assert await roundtrip(proxy.port, b"back") == b"back"


async def test_hold_keeps_replies_from_matching_clients_until_released(echo_port: int) -> None:
    async with TcpProxy(echo_port) as proxy:
        proxy.hold(lambda sent: sent.startswith(b"held"))
        assert await roundtrip(proxy.port, b"free") == b"free"  # another client still flows
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"held-1")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):  # bounded wait for something that must not come
                await reader.readexactly(6)
        proxy.release()
        assert await asyncio.wait_for(reader.readexactly(6), DEADLINE) == b"held-1"
        writer.close()


async def test_hold_existing_only_silences_open_connections_and_not_new_ones(
    echo_port: int,
) -> None:
    async with TcpProxy(echo_port) as proxy:
        reader, writer = await asyncio.open_connection("127.0.0.1", proxy.port)
        writer.write(b"a")
        assert await asyncio.wait_for(reader.readexactly(1), DEADLINE) == b"a"
        proxy.hold(existing_only=True)
        writer.write(b"b")
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.2):  # bounded wait for something that must not come
                await reader.readexactly(1)
        assert await roundtrip(proxy.port, b"new") == b"new"  # a new connection flows
        proxy.release()
        assert await asyncio.wait_for(reader.readexactly(1), DEADLINE) == b"b"
        writer.close()
