"""flow-watcher-etcd against the watcher contract, on a real etcd started by the fixture."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource


class EtcdSource:
    """Contract keys are etcd keys under ``/contract/``; writes go through aetcd."""

    restartable = True
    writes_while_down = False  # etcd accepts no writes while it is down

    def __init__(self, writer: Any, auth_server: Any) -> None:
        self.writer = writer
        self.server = writer.server
        self.auth_server = auth_server

    def key(self, key: str) -> str:
        return f"/contract/{key}"

    def uri(self, key: str) -> str:
        return str(self.server.uri(self.key(key)))

    async def write(self, key: str, value: bytes) -> None:
        await self.writer.put(self.key(key), value)

    async def delete(self, key: str) -> None:
        await self.writer.delete(self.key(key))

    async def stop(self) -> None:
        await self.writer.stop()

    async def start(self) -> None:
        await self.writer.start()


class TestEtcdWatcherContract(WatcherContract):
    # grpc's asyncio poller thread starts with the first channel and lives as long
    # as the process (one for all channels): it is not the watcher's to stop.
    leak_ignore_threads = (r"Thread-\d+ \(_poll_wrapper\)",)

    @pytest.fixture
    def watcher_source(self, writer: Any, etcd_auth_server: Any) -> WatcherSource:
        return EtcdSource(writer, etcd_auth_server)

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, EtcdSource)
        plain, auth = source.server, source.auth_server
        return [
            plain.uri("/k", query="bogus=1"),  # unknown option
            plain.uri("/k", query="timeout=soon"),
            plain.uri("/k", query="timeout=-1"),
            plain.uri("/k", query="key=other"),  # the key twice
            f"etcd://127.0.0.1:{plain.port}/",  # no key
            f"etcd://127.0.0.1:{plain.port}?key=",
            f"etcd://alice@127.0.0.1:{plain.port}/k",  # a user without a password
            f"etcd://:lonely-password@127.0.0.1:{plain.port}/k",  # a password without a user
            "etcd://127.0.0.1:99999/k",  # a port out of range
            auth.uri("/flow/k", userinfo="alice:wrong-password-123"),
            auth.uri("/flow/k", userinfo="nobody:some-password-456"),
            auth.uri("/flow/k"),  # auth enabled, no credentials given
            auth.uri("/private/k", userinfo="alice:alice-secret-pw"),  # no read permission
            plain.uri("/k", userinfo="alice:unneeded-pw-789"),  # credentials, auth disabled
        ]
