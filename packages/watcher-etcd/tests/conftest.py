"""Real etcd servers for the tests: one plain, one with authentication, each on a free port."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aetcd  # type: ignore[import-untyped]
import pytest
from aetcd import rpc
from flow.testing import ServerProcess, TcpProxy, free_port, require_binary
from flow.testing.servers import http_ready

INSTALL = "apt-get install etcd-server"
#: Users of the auth server: root may do anything; alice may read /flow/…; bob nothing.
ROOT = ("root", "root-secret-pw")
ALICE = ("alice", "alice-secret-pw")
BOB = ("bob", "bob-secret-pw")
READABLE_PREFIX = "/flow/"


class EtcdServer:
    """One etcd child process on 127.0.0.1 with its own data directory."""

    def __init__(self, data_dir: Path, *, extra: Sequence[str] = ()) -> None:
        binary = require_binary("etcd", INSTALL)
        self.data_dir = data_dir
        self.port, peer = free_port(), free_port()
        client_url, peer_url = f"http://127.0.0.1:{self.port}", f"http://127.0.0.1:{peer}"
        argv = [
            binary,
            "--name=t",
            f"--data-dir={data_dir}",
            f"--listen-client-urls={client_url}",
            f"--advertise-client-urls={client_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=t={peer_url}",
            "--initial-cluster-state=new",
            "--listen-metrics-urls=",
            # The command of notes/servers.md plus a shorter raft election: a restarted
            # single member waits one election timeout (1 s by default) before it serves.
            "--heartbeat-interval=10",
            "--election-timeout=100",
            *extra,
        ]
        self.process = ServerProcess(argv, ready=self.ready, name="etcd")

    def ready(self) -> bool:
        return http_ready(f"http://127.0.0.1:{self.port}/health", contains='"health":"true"')

    def uri(self, key: str, *, userinfo: str = "", query: str = "") -> str:
        """``etcd://[userinfo@]127.0.0.1:port/<key>`` with the key percent-encoded."""
        at = f"{userinfo}@" if userinfo else ""
        path = quote(key if key.startswith("/") else "/" + key)
        return f"etcd://{at}127.0.0.1:{self.port}{path}" + (f"?{query}" if query else "")

    def client(self, user: tuple[str, str] | None = None) -> Any:
        """A new aetcd client for this server (close it)."""
        name, password = user or (None, None)
        return aetcd.Client(host="127.0.0.1", port=self.port, username=name, password=password)


class Writer:
    """Writes to a server with one client per test; reopened after a restart."""

    def __init__(self, server: EtcdServer, user: tuple[str, str] | None = None) -> None:
        self.server = server
        self.user = user
        self.client: Any = server.client(user)

    async def put(self, key: str, value: bytes) -> int:
        """Store ``value`` at ``key``; return the revision of the write."""
        response = await self.client.put(key.encode(), value)
        return int(response.header.revision)

    async def delete(self, key: str) -> None:
        await self.client.delete(key.encode())

    async def compact(self) -> int:
        """Compact all history up to the current revision; return it."""
        probe = b"flow-revision-probe"
        revision = int((await self.client.get_range(probe, probe + b"\0")).header.revision)
        await self.client.compact(revision, physical=True)
        return revision

    async def stop(self) -> None:
        await self.client.close()
        await asyncio.to_thread(self.server.process.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.server.process.start)
        self.client = self.server.client(self.user)

    async def close(self) -> None:
        await self.client.close()


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """A plain etcd for the whole session."""
    server = EtcdServer(tmp_path_factory.mktemp("etcd"))
    with server.process:
        yield server


@pytest.fixture(scope="session")
def etcd_auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    """An etcd with authentication enabled and the users ROOT, ALICE and BOB."""
    # A low bcrypt cost keeps each authentication (one per connection) fast.
    server = EtcdServer(tmp_path_factory.mktemp("etcd-auth"), extra=["--bcrypt-cost=4"])
    with server.process:
        asyncio.run(_enable_auth(server))
        yield server


async def _enable_auth(server: EtcdServer) -> None:
    prefix = READABLE_PREFIX.encode()
    range_end = prefix[:-1] + bytes([prefix[-1] + 1])
    async with server.client() as client:
        auth = rpc.AuthStub(client.channel)
        for name, password in (ROOT, ALICE, BOB):
            await auth.UserAdd(rpc.AuthUserAddRequest(name=name, password=password))
        await auth.UserGrantRole(rpc.AuthUserGrantRoleRequest(user=ROOT[0], role="root"))
        await auth.RoleAdd(rpc.AuthRoleAddRequest(name="reader"))
        permission = rpc.Permission(permType=rpc.Permission.READ, key=prefix, range_end=range_end)
        await auth.RoleGrantPermission(
            rpc.AuthRoleGrantPermissionRequest(name="reader", perm=permission)
        )
        await auth.UserGrantRole(rpc.AuthUserGrantRoleRequest(user=ALICE[0], role="reader"))
        await auth.AuthEnable(rpc.AuthEnableRequest())


@pytest.fixture
async def writer(etcd_server: EtcdServer) -> AsyncIterator[Writer]:
    """Writes to the plain server."""
    writer = Writer(etcd_server)
    yield writer
    await writer.close()


@pytest.fixture
async def root_writer(etcd_auth_server: EtcdServer) -> AsyncIterator[Writer]:
    """Writes to the auth server as root."""
    writer = Writer(etcd_auth_server, ROOT)
    yield writer
    await writer.close()


@pytest.fixture(autouse=True)
def _no_etcd_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests set the credential variables themselves; the developer's must not leak in."""
    for name in ("ETCD_USERNAME", "ETCD_PASSWORD", "ETCDCTL_USER", "ETCDCTL_PASSWORD"):
        if name in os.environ:
            monkeypatch.delenv(name)


# -- a network cut between a watcher and a server ------------------------------------------
#
# TcpProxy simulates a network outage between the watcher and a real etcd, so a
# test decides exactly what happens on the server while the watcher is away
# (writes, compaction); a server restart cannot do that: etcd takes no writes
# while it is down.


@pytest.fixture
async def proxy(etcd_server: EtcdServer) -> AsyncIterator[TcpProxy]:
    """A TcpProxy in front of the plain server."""
    proxy = TcpProxy(etcd_server.port)
    await proxy.start()
    yield proxy
    await proxy.close()


@pytest.fixture
async def own_etcd(tmp_path: Path) -> AsyncIterator[Writer]:
    """A server of the test's own (to restart or wipe it without slowing other tests)."""
    server = EtcdServer(tmp_path / "etcd-data")
    server.process.start()
    writer = Writer(server)
    try:
        yield writer
    finally:
        await writer.close()
        server.process.stop()


@pytest.fixture(scope="session")
def users() -> dict[str, tuple[str, str]]:
    """The users of the auth server: name -> (user, password)."""
    return {"root": ROOT, "alice": ALICE, "bob": BOB}
