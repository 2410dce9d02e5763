"""flow-watcher-redis against the watcher contract, on a real redis-server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest
import redis.asyncio as aredis
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource

from .conftest import RedisServer


class RedisSource:
    """Keys of the session's redis-server, written with redis-py; restarts are real."""

    restartable = True
    writes_while_down = False  # nothing can be written while the server is stopped

    def __init__(self, server: RedisServer, client: aredis.Redis) -> None:
        self.server = server
        self.client = client

    def uri(self, key: str) -> str:
        return self.server.uri(key)

    async def write(self, key: str, value: bytes) -> None:
        await self.client.set(key, value)

    async def delete(self, key: str) -> None:
        await self.client.delete(key)

    async def stop(self) -> None:
        await self.server.stop()

    async def start(self) -> None:
        await self.server.start()


class TestRedisWatcherContract(WatcherContract):
    @pytest.fixture
    async def watcher_source(self, redis_server: RedisServer) -> AsyncIterator[WatcherSource]:
        client = redis_server.client()
        try:
            yield RedisSource(redis_server, client)
        finally:
            await client.aclose()

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, RedisSource)
        port = source.server.port
        return [
            f"redis://127.0.0.1:{port}/0?key=k&bogus=1",  # unknown option
            f"redis://127.0.0.1:{port}/0",  # no key
            f"redis://127.0.0.1:{port}/zero?key=k",  # db is not a number
            f"redis://127.0.0.1:{port}/0?key=k&timeout=soon",
            f"redis://127.0.0.1:{port}/0?key=k&ssl_cert_reqs=none",  # TLS option without TLS
            "redis://127.0.0.1:99999/0?key=k",  # port out of range
            f"redis://127.0.0.1:{port}/999?key=k",  # no such database
        ]
