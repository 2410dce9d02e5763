"""How events turn into reads: ordering under bursts, reads left unanswered, odd peers.

Every event makes the watcher send a GET from the protocol callback, before a
task runs (see ``_wire``); these tests pin what that must never break.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis
from flow.errors import SourceError
from flow.testing import LeakCheck, TcpProxy
from flow.testing.watcher_contract import Watch

from .conftest import RedisServer, new_key
from .test_behaviour import DEADLINE, first_error, poll, watching

#: The reader of a session is the connection that never sends SUBSCRIBE.
READER = "the watcher's reading connection"


def is_reader(sent: bytes) -> bool:
    return b"SUBSCRIBE" not in sent


@pytest.fixture
async def proxy(redis_server: RedisServer) -> AsyncIterator[TcpProxy]:
    async with TcpProxy(redis_server.port) as proxy:
        yield proxy


async def burst(writer: aredis.Redis, key: str, count: int) -> bytes:
    """SET ``key`` to 0, 1, … ``count - 1`` in one pipeline; return the last value."""
    async with writer.pipeline(transaction=False) as pipe:
        for i in range(count):
            pipe.set(key, b"%d" % i)
        await pipe.execute()
    return b"%d" % (count - 1)


async def get_calls(writer: aredis.Redis) -> int:
    stats = await writer.info("commandstats")
    return int(stats.get("cmdstat_get", {}).get("calls", 0))


@pytest.fixture
async def absent(redis_server: RedisServer) -> AsyncIterator[tuple[str, Watch]]:
    """A new key and a watch of it that has seen it absent."""
    key = new_key("reads")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(None, DEADLINE, allowed=())
        yield key, watch


async def test_a_burst_arrives_in_write_order_and_ends_on_the_last(
    absent: tuple[str, Watch], writer: aredis.Redis
) -> None:
    key, watch = absent
    await watch.until(await burst(writer, key, 500), DEADLINE)
    numbers = [int(c.value) for c in watch.seen[1:] if c.value is not None]
    assert numbers == sorted(set(numbers)), "a value went backwards or repeated"


async def test_a_storm_costs_a_read_per_round_trip_and_a_slow_consumer_skips_ahead(
    absent: tuple[str, Watch], writer: aredis.Redis
) -> None:
    key, watch = absent
    reads_before = await get_calls(writer)
    last = await burst(writer, key, 2000)
    # Nobody consumed during the storm: only the newest value waits, not 2,000.
    await watch.until(last, DEADLINE)
    reads = await get_calls(writer) - reads_before
    assert len(watch.seen) <= 4, [c.value for c in watch.seen]
    assert 1 <= reads < 500, f"{reads} GETs for 2,000 writes"


async def test_a_delete_right_after_a_write_ends_absent(
    absent: tuple[str, Watch], writer: aredis.Redis
) -> None:
    key, watch = absent
    for round_ in range(20):
        await writer.set(key, b"base-%d" % round_)
        await watch.until(b"base-%d" % round_, DEADLINE)
        async with writer.pipeline(transaction=False) as pipe:
            pipe.set(key, b"short-%d" % round_)
            pipe.delete(key)
            await pipe.execute()
        await watch.until(None, DEADLINE)
    await writer.set(key, b"kept")
    await watch.until(b"kept", DEADLINE)
    values = [c.value for c in watch.seen]
    for before, after in itertools.pairwise(values):
        assert not (before is None and after is not None and after.startswith(b"short")), values


async def test_a_read_left_unanswered_ends_the_session_and_the_watcher_recovers(
    proxy: TcpProxy, writer: aredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    key = new_key("stalled")
    await writer.set(key, b"before")
    caplog.set_level(logging.WARNING, logger="flow.watcher.redis")
    check = LeakCheck(sockets=True)
    async with watching(f"redis://127.0.0.1:{proxy.port}/0?key={key}&timeout=0.3") as watch:
        await watch.until(b"before", DEADLINE, allowed=())
        proxy.hold(is_reader)  # the server still notifies, but no GET reply gets through
        await writer.set(key, b"after")
        after = asyncio.create_task(watch.until(b"after", DEADLINE, allowed=()))
        await poll(lambda: "did not answer a GET within 0.3 s" in caplog.text, "the timeout")
        proxy.release()
        await after
        assert proxy.connections >= 4  # a second session (two connections) read the value
    await check.assert_clean(timeout=5.0)


async def test_closing_while_a_read_is_in_flight_ends_at_once(
    proxy: TcpProxy, writer: aredis.Redis
) -> None:
    key = new_key("close-in-flight")
    await writer.set(key, b"first")
    check = LeakCheck(sockets=True)
    watch = Watch(f"redis://127.0.0.1:{proxy.port}/0?key={key}")
    await watch.until(b"first", DEADLINE, allowed=())
    pending = asyncio.create_task(anext(watch.changes))
    proxy.hold(is_reader)
    await writer.set(key, b"never-read")
    await asyncio.sleep(0.05)  # let the event arrive and the GET go out: nothing to await
    assert not pending.done()
    await watch.watcher.aclose()
    with pytest.raises(StopAsyncIteration):  # the pending iteration ends, promptly
        await asyncio.wait_for(pending, DEADLINE)
    await watch.aclose()
    proxy.release()
    await check.assert_clean(timeout=5.0)


async def test_a_peer_that_is_not_redis_is_a_clear_error() -> None:
    async def http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(http, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        error = await first_error(f"redis://:pw-never-shown@127.0.0.1:{port}/0?key=k")
    finally:
        server.close()
        await server.wait_closed()
    assert type(error) is SourceError
    assert "does not speak the Redis protocol" in str(error)
    assert "rediss://" in str(error)  # the likely fix: a TLS port
    assert "pw-never-shown" not in str(error)
