"""A throwaway ZooKeeper server for tests and benchmarks (needs ``flow-core[testing]``).

::

    with ZooKeeperServer(tmp_path) as server:        # a free 127.0.0.1 port, data in tmp_path
        uri = f"zk://{server.hosts}/app/config"
        server.restart()                              # same port, same data

It runs ZooKeeper's own ``ZooKeeperServerMain`` with Java (Debian package
``zookeeper``) as a child process, stopped by PID (see ``flow.testing.ServerProcess``).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

from flow.testing.servers import LOOPBACK, ServerProcess, free_port, send_line
from kazoo.client import KazooClient  # type: ignore[import-untyped]
from kazoo.exceptions import NodeExistsError, NoNodeError  # type: ignore[import-untyped]
from kazoo.security import make_digest_acl  # type: ignore[import-untyped]

__all__ = [
    "INSTALL_HINT",
    "ZNodeSource",
    "ZooKeeperNotFound",
    "ZooKeeperServer",
    "admin_client",
    "find_zookeeper",
    "put",
    "remove",
]

INSTALL_HINT = "apt-get install zookeeper (Debian; needs a Java runtime)"
#: Environment variable overriding the class path of ZooKeeper's jars.
CLASSPATH_ENV = "FLOW_ZOOKEEPER_CLASSPATH"
_MAIN = "org.apache.zookeeper.server.ZooKeeperServerMain"
#: Largest znode the test server accepts: ZooKeeper's default (jute.maxbuffer) is 1 MiB - 1.
MAX_NODE_BYTES = 4 << 20


class ZooKeeperNotFound(RuntimeError):
    """Java or ZooKeeper's jars are not installed (the message says how to install them)."""


def find_zookeeper() -> tuple[str, str]:
    """``(java, classpath)`` for running ZooKeeper; raise :class:`ZooKeeperNotFound`."""
    java = shutil.which("java")
    if java is None:
        raise ZooKeeperNotFound(f"java not found on PATH; install it with: {INSTALL_HINT}")
    classpath = os.environ.get(CLASSPATH_ENV) or _debian_classpath()
    if not classpath:
        raise ZooKeeperNotFound(
            f"ZooKeeper's jars were not found; install them with: {INSTALL_HINT} "
            f"(or set {CLASSPATH_ENV})"
        )
    return java, classpath


def _debian_classpath() -> str | None:
    jars: dict[str, str | None] = {"zookeeper.jar": None, "slf4j-simple.jar": None}
    for package in ("libzookeeper-java", "libslf4j-java"):
        try:
            listing = subprocess.run(
                ["dpkg", "-L", package], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        for line in listing.splitlines():
            name = line.rpartition("/")[2]
            if name in jars and jars[name] is None:
                jars[name] = line
    if jars["zookeeper.jar"] is None:
        return None
    parts = ["/etc/zookeeper/conf", *(p for p in jars.values() if p is not None)]
    return ":".join(parts)


class ZooKeeperServer:
    """A standalone ZooKeeper on ``127.0.0.1``, its data and config under ``directory``.

    ``tick_ms`` sets ZooKeeper's tick: sessions may last from 2 to 20 ticks, so
    the 500 ms default allows session timeouts of 1-10 s (short ones keep tests fast).
    ``stop_signal=signal.SIGKILL`` stops it like a crash (and 0.3 s faster): ZooKeeper
    syncs its transaction log before acknowledging a write, so no written data is lost.
    ``quick_start`` limits the JIT to its first tier: the JVM starts about 40% faster
    (measured), which restarts in tests want; benchmarks turn it off.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        port: int | None = None,
        tick_ms: int = 500,
        stop_signal: signal.Signals = signal.SIGTERM,
        quick_start: bool = True,
    ) -> None:
        java, classpath = find_zookeeper()
        self.directory = Path(directory)
        self.port = port or free_port()
        data = self.directory / "data"
        data.mkdir(parents=True, exist_ok=True)
        config = self.directory / "zoo.cfg"
        config.write_text(
            f"tickTime={tick_ms}\ndataDir={data}\nclientPort={self.port}\n"
            f"clientPortAddress={LOOPBACK}\n"
            "admin.enableServer=false\n"  # otherwise it serves HTTP on 0.0.0.0:8080
            "4lw.commands.whitelist=ruok,srvr,mntr,stat,envi\n"
        )
        argv = [
            java,
            "-Xmx256m",
            "-XX:+UseSerialGC",
            *(["-XX:TieredStopAtLevel=1"] if quick_start else []),
            f"-Djute.maxbuffer={MAX_NODE_BYTES}",
            "-cp",
            classpath,
            _MAIN,
            str(config),
        ]
        self.process = ServerProcess(
            argv, ready=self._ready, name="zookeeper", ready_timeout=60, stop_signal=stop_signal
        )

    @property
    def hosts(self) -> str:
        """``127.0.0.1:PORT``, as a kazoo host string or a ``zk://`` URI's netloc."""
        return f"{LOOPBACK}:{self.port}"

    def _ready(self) -> bool:
        # `srvr` answers "Mode: standalone" only once the server serves (`ruok` answers earlier).
        return b"Mode: standalone" in send_line(LOOPBACK, self.port, b"srvr", timeout=0.5)

    def start(self) -> Self:
        """Start the server and wait until it serves."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop the server by PID (its data stays)."""
        self.process.stop()

    def restart(self) -> Self:
        """Stop, then start again on the same port with the same data."""
        self.process.restart()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


# -- writing test data ------------------------------------------------------------------------


def admin_client(hosts: str, *, credentials: tuple[str, str] | None = None) -> Any:
    """A started kazoo client for writing test data; it retries through server restarts."""
    client = KazooClient(
        hosts=hosts,
        # Short: a connect attempt that races a restarting server waits up to this long.
        timeout=2.0,
        auth_data=[("digest", ":".join(credentials))] if credentials else None,
        connection_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.2},
        command_retry={"max_tries": -1, "delay": 0.05, "max_delay": 0.2, "deadline": 60},
    )
    client.start(timeout=30)
    return client


def put(client: Any, path: str, value: bytes, acl: list[Any] | None = None) -> None:
    """Create (with ``acl``) or replace the znode ``path``; blocking, retried through reconnects."""

    def attempt() -> None:
        try:
            client.set(path, value)
        except NoNodeError:
            try:
                client.create(path, value, acl=acl, makepath=True)
            except NodeExistsError:
                client.set(path, value)

    client.retry(attempt)


def remove(client: Any, path: str) -> None:
    """Delete the znode ``path``; blocking, retried through reconnects."""
    client.retry(client.delete, path)


class ZNodeSource:
    """Znodes under ``root`` on a :class:`ZooKeeperServer`: a ``WatcherSource`` for the contract.

    ``options`` is appended to every URI (e.g. ``session_timeout=2&backoff_max=0.2``);
    ``credentials`` is the digest identity of ``admin``, for nodes guarded by :meth:`acl`.
    """

    restartable = True
    writes_while_down = False  # a stopped ZooKeeper takes no writes

    def __init__(
        self,
        server: ZooKeeperServer,
        admin: Any,
        *,
        root: str = "/flow-tests",
        options: str = "",
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.server, self.admin, self.root = server, admin, root
        self.options, self.credentials = options, credentials

    def path(self, key: str) -> str:
        return f"{self.root}/{key}"

    def uri(self, key: str) -> str:
        return self.uri_of(self.path(key))

    def uri_of(self, path: str, userinfo: str = "") -> str:
        """The ``zk://`` URI of ``path``; ``userinfo`` is ``user:password@`` or empty."""
        query = f"?{self.options}" if self.options else ""
        return f"zk://{userinfo}{self.server.hosts}{quote(path)}{query}"

    def acl(self) -> list[Any]:
        """An ACL that lets only ``credentials`` do anything with a node."""
        if self.credentials is None:
            raise ValueError("ZNodeSource.acl() needs credentials")
        return [make_digest_acl(*self.credentials, all=True)]

    async def write(self, key: str, value: bytes) -> None:
        await asyncio.to_thread(put, self.admin, self.path(key), value)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(remove, self.admin, self.path(key))

    async def stop(self) -> None:
        await asyncio.to_thread(self.server.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.server.start)
