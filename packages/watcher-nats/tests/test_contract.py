"""flow-watcher-nats against the watcher contract, on a real nats-server with JetStream."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource

from .conftest import PASSWORD, TOKEN, USER, Admin, NatsServer


class NatsSource:
    """Keys of the bucket ``flow``; ``stop``/``start`` restart the server on its JetStream data."""

    restartable = True
    writes_while_down = False  # a stopped NATS server takes no writes

    def __init__(self, server: NatsServer, admin: Admin, token: NatsServer, user: NatsServer):
        self.server = server
        self.admin = admin
        self.token_server = token
        self.user_server = user

    def uri(self, key: str) -> str:
        return self.server.uri(key)

    async def write(self, key: str, value: bytes) -> None:
        await self.admin.put(key, value)

    async def delete(self, key: str) -> None:
        await self.admin.delete(key)

    async def stop(self) -> None:
        await self.server.astop()

    async def start(self) -> None:
        await self.server.astart()


class TestNatsWatcherContract(WatcherContract):
    @pytest.fixture
    def watcher_source(
        self,
        nats_server: NatsServer,
        admin: Admin,
        token_server: NatsServer,
        user_server: NatsServer,
    ) -> WatcherSource:
        return NatsSource(nats_server, admin, token_server, user_server)

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, NatsSource)
        server = source.server
        return [
            server.uri("k", query="bogus=1"),  # unknown option
            server.uri("k", query="timeout=soon"),  # bad option value
            f"nats://{server.address}/flow",  # no key
            f"nats://{server.address}/",  # neither bucket nor key
            server.uri("k", bucket="no.dots"),  # invalid bucket name
            server.uri("a.*"),  # a wildcard is not one key
            "nats://127.0.0.1:99999/flow/k",  # port out of range
            server.uri("k", bucket="no-such-bucket"),  # missing bucket
            source.token_server.uri("k", userinfo="wrong-token-4d1e"),
            source.token_server.uri("k"),  # no credentials at all
            source.user_server.uri("k", userinfo=f"{USER}:wrong-pass-8b2c"),
            source.user_server.uri("k", userinfo=f"{USER}:{TOKEN}"),  # a real secret, wrong place
            source.user_server.uri("k", userinfo=f"nobody:{PASSWORD}"),
        ]
