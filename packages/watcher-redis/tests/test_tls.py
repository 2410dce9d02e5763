"""rediss:// against a redis-server that speaks only TLS (certificates made with openssl)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis
from flow.testing import LeakCheck, TcpProxy
from flow.testing.watcher_contract import Watch
from flow_watcher_redis.watcher import RedisWatcher

from .conftest import LOOPBACK, RedisServer, new_key
from .test_behaviour import first_error, poll

DEADLINE = 10.0


@pytest.fixture
async def tls_writer(tls_server: RedisServer) -> AsyncIterator[aredis.Redis]:
    client = tls_server.client()
    try:
        yield client
    finally:
        await client.aclose()


async def test_watch_over_tls_with_the_servers_ca(
    tls_server: RedisServer, tls_writer: aredis.Redis
) -> None:
    key = new_key("tls")
    await tls_writer.set(key, b"encrypted")
    watch = Watch(tls_server.uri(key))
    try:
        await watch.until(b"encrypted", DEADLINE, allowed=())
        await tls_writer.set(key, "still encrypted ✓".encode())
        await watch.until("still encrypted ✓".encode(), DEADLINE, allowed=())
    finally:
        await watch.aclose()


async def test_unknown_ca_is_a_permanent_error(tls_server: RedisServer) -> None:
    # Without ssl_ca_certs the system CAs are used, and they do not know the test CA.
    uri = f"rediss://{LOOPBACK}:{tls_server.port}/0?key={new_key('tls')}"
    error = await first_error(uri)
    assert "TLS handshake failed" in str(error)
    assert "ssl_ca_certs" in str(error)


async def test_verification_can_be_turned_off(
    tls_server: RedisServer, tls_writer: aredis.Redis
) -> None:
    key = new_key("tls-none")
    await tls_writer.set(key, b"unverified")
    uri = f"rediss://{LOOPBACK}:{tls_server.port}/0?key={key}&ssl_cert_reqs=none"
    watch = Watch(uri)
    try:
        await watch.until(b"unverified", DEADLINE, allowed=())
    finally:
        await watch.aclose()


async def test_plain_redis_uri_on_a_tls_port_is_logged_with_the_fix(
    tls_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # The server resets the connection without a byte, as a restarting one might: it is
    # retried as an outage, and the warning names the likely cause.
    caplog.set_level(logging.WARNING, logger="flow.watcher.redis")
    watch = Watch(f"redis://{LOOPBACK}:{tls_server.port}/0?key={new_key('tls-plain')}")
    first = asyncio.create_task(anext(watch.changes))
    try:
        await poll(lambda: "use rediss://" in caplog.text, "the hint in the outage warning")
        assert not first.done()
    finally:
        await watch.watcher.aclose()  # ends the pending iteration
        with contextlib.suppress(StopAsyncIteration):
            await asyncio.wait_for(first, DEADLINE)
        await watch.aclose()


async def test_closing_during_the_tls_handshake_leaves_no_connection(
    tls_server: RedisServer,
) -> None:
    # The proxy holds the server's half of the handshake, so the watcher is still inside
    # connect() when it is closed; the handshake then completes, and that late connection
    # must be closed by the session rather than left open.
    check = LeakCheck(sockets=True)
    async with TcpProxy(tls_server.port) as proxy:
        proxy.hold()
        uri = tls_server.uri(new_key("tls-close")).replace(
            f":{tls_server.port}/", f":{proxy.port}/"
        )
        watcher = RedisWatcher(uri)
        changes = watcher.changes()
        first = asyncio.create_task(anext(changes))
        await poll(lambda: proxy.connections >= 1, "the watcher to connect to the proxy")
        await watcher.aclose()
        proxy.release()  # the handshake completes after the close
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(first, DEADLINE)
        await changes.aclose()  # type: ignore[attr-defined]
    await check.assert_clean(timeout=5.0)
