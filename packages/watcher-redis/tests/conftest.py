"""Real redis-server instances for the tests: plain, with passwords and ACL users, and TLS.

Each server is a child process on a free loopback port with its own temp
directory, started once per session and stopped by PID (``ServerProcess``).
Tests use a fresh key each, so they never see each other's data.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as aredis
from flow.testing import ServerProcess, free_port, require_binary

INSTALL = "apt-get install redis-server"
LOOPBACK = "127.0.0.1"
#: Passwords of the auth server: the default user, a full ACL user, and one without channels.
DEFAULT_PASSWORD = "default-secret-pw-4711"
ALICE_PASSWORD = "alice-secret-pw-4712"
BOB_PASSWORD = "bob-secret-pw-4713"
CAROL_PASSWORD = "carol-secret-pw-4714"


def ping(port: int, context: ssl.SSLContext | None = None, timeout: float = 0.5) -> bool:
    """True when the server answers PING (NOAUTH also means it is up and serving)."""
    try:
        with socket.create_connection((LOOPBACK, port), timeout=timeout) as raw:
            sock = context.wrap_socket(raw, server_hostname=LOOPBACK) if context else raw
            sock.sendall(b"PING\r\n")
            answer = sock.recv(64)
    except OSError:
        return False
    return answer.startswith((b"+PONG", b"-NOAUTH"))


@dataclass
class RedisServer:
    """One running redis-server child process and how to reach it."""

    process: ServerProcess
    port: int
    password: str | None = None
    scheme: str = "redis"
    tls_query: str = ""
    client_options: dict[str, object] = field(default_factory=dict)

    def uri(self, key: str, *, db: int = 0, userinfo: str = "", extra: str = "") -> str:
        """The watcher URI of ``key`` on this server."""
        at = f"{userinfo}@" if userinfo else ""
        query = "&".join(p for p in (f"key={_quote(key)}", self.tls_query, extra) if p)
        return f"{self.scheme}://{at}{LOOPBACK}:{self.port}/{db}?{query}"

    def client(self, db: int = 0) -> aredis.Redis:
        """A redis-py client for writing test data (close it with ``aclose()``)."""
        return aredis.Redis(
            host=LOOPBACK,
            port=self.port,
            db=db,
            password=self.password,
            protocol=2,
            **self.client_options,  # type: ignore[arg-type]
        )

    async def stop(self) -> None:
        await asyncio.to_thread(self.process.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.process.start)


def _quote(key: str) -> str:
    from urllib.parse import quote

    return quote(key, safe="")


def new_key(label: str) -> str:
    """A key no other test uses."""
    return f"flow-{label}-{uuid.uuid4().hex[:12]}"


def redis_argv(binary: str, port: int, directory: Path, *extra: str) -> list[str]:
    """The command line of notes/servers.md: loopback, no persistence, keyspace events on."""
    return [
        binary,
        "--bind", LOOPBACK,
        "--port", str(port),
        "--dir", str(directory),
        "--save", "",
        "--appendonly", "no",
        "--notify-keyspace-events", "KEA",
        "--daemonize", "no",
        *extra,
    ]  # fmt: skip


def _serve(
    argv: Sequence[str], port: int, name: str, context: ssl.SSLContext | None = None
) -> ServerProcess:
    return ServerProcess(argv, ready=lambda: ping(port, context), name=name).start()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A plain redis-server with keyspace notifications (KEA)."""
    binary = require_binary("redis-server", INSTALL)
    port = free_port()
    argv = redis_argv(binary, port, tmp_path_factory.mktemp("redis"))
    process = _serve(argv, port, "redis")
    try:
        yield RedisServer(process, port)
    finally:
        process.stop()


@pytest.fixture(scope="session")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A redis-server that needs a password, with two ACL users.

    ``alice`` may read every key and channel; ``bob`` may read keys but
    subscribe to no channel (Redis 7's default for ACL users), so watching
    must fail with a clear permission error; ``carol`` may not run CONFIG
    (as on managed services), so the notification check is skipped.
    """
    binary = require_binary("redis-server", INSTALL)
    port = free_port()
    argv = redis_argv(
        binary,
        port,
        tmp_path_factory.mktemp("redis-auth"),
        "--requirepass", DEFAULT_PASSWORD,
        "--user", "alice", "on", f">{ALICE_PASSWORD}", "~*", "&*", "+@all",
        "--user", "bob", "on", f">{BOB_PASSWORD}", "~*", "resetchannels", "+@all",
        "--user", "carol", "on", f">{CAROL_PASSWORD}", "~*", "&*", "+@all", "-config",
    )  # fmt: skip
    process = _serve(argv, port, "redis-auth")
    try:
        yield RedisServer(process, port, password=DEFAULT_PASSWORD)
    finally:
        process.stop()


@dataclass(frozen=True)
class Certificates:
    ca: Path
    cert: Path
    key: Path


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


#: Small, fast keys: these certificates live for one test session.
_NEW_KEY = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")


@pytest.fixture(scope="session")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """A throwaway CA and a server certificate for 127.0.0.1 (made with the openssl CLI)."""
    require_binary("openssl", "apt-get install openssl")
    folder = tmp_path_factory.mktemp("tls")
    ca_key, ca, key, csr, cert = (
        folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem")
    )
    san = folder / "san.ext"
    san.write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _openssl("req", "-x509", *_NEW_KEY, "-days", "2", "-subj", "/CN=flow-test-ca",
             "-keyout", ca_key, "-out", ca)  # fmt: skip
    _openssl("req", *_NEW_KEY, "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", csr)
    _openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
             "-days", "2", "-extfile", san, "-out", cert)  # fmt: skip
    return Certificates(ca=ca, cert=cert, key=key)


@pytest.fixture(scope="session")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory, certificates: Certificates
) -> Iterator[RedisServer]:
    """A redis-server that speaks only TLS (no client certificates required)."""
    binary = require_binary("redis-server", INSTALL)
    port = free_port()
    argv = redis_argv(binary, 0, tmp_path_factory.mktemp("redis-tls"))
    argv += [
        "--tls-port", str(port),
        "--tls-cert-file", str(certificates.cert),
        "--tls-key-file", str(certificates.key),
        "--tls-ca-cert-file", str(certificates.ca),
        "--tls-auth-clients", "no",
    ]  # fmt: skip
    context = ssl.create_default_context(cafile=str(certificates.ca))
    process = _serve(argv, port, "redis-tls", context=context)
    try:
        yield RedisServer(
            process,
            port,
            scheme="rediss",
            tls_query=f"ssl_ca_certs={_quote(str(certificates.ca))}",
            client_options={"ssl": True, "ssl_ca_certs": str(certificates.ca)},
        )
    finally:
        process.stop()


@pytest.fixture
async def writer(redis_server: RedisServer) -> AsyncIterator[aredis.Redis]:
    """A redis-py client on the plain server, closed after the test."""
    client = redis_server.client()
    try:
        yield client
    finally:
        await client.aclose()
