"""A real PostgreSQL server for tests: initdb into a temp dir, start on a free port, stop by PID.

::

    from flow.testing.postgres import postgres_server, postgres_url  # in conftest.py

    def test_something(postgres_url: str) -> None:      # a fresh database per test
        store = MetadataStore.open(postgres_url)

Or by hand: ``with PostgresServer() as pg: url = pg.create_database()``.

initdb refuses to run as root, so as root the binaries run as the ``postgres``
user through ``setpriv`` (which execs: the PID is the server's). The first
server of a process runs initdb (~1.7 s) into a template directory; later
servers copy it (~0.2 s). A missing PostgreSQL skips the test with an install
hint, or fails it under ``FLOW_REQUIRE_SERVERS=1``.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

import pytest

from .servers import LOOPBACK, ServerProcess, free_port, require_binary, servers_required

__all__ = ["PostgresServer", "postgres_bindir", "postgres_server", "postgres_url"]

_INSTALL_HINT = "apt-get install postgresql"
_SUPERUSER = "postgres"


def postgres_bindir() -> Path:
    """The directory holding ``initdb`` and ``postgres`` (skips the test when there is none)."""
    candidates: list[str] = []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            )
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for directory in candidates:
        if directory and (Path(directory) / "initdb").exists():
            return Path(directory)
    initdb = require_binary("initdb", _INSTALL_HINT, extra_dirs=candidates)
    return Path(initdb).parent


def _run_as() -> list[str]:
    """The ``setpriv`` prefix that drops root to the postgres user (empty when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = require_binary("setpriv", "apt-get install util-linux")
    try:
        pwd.getpwnam(_SUPERUSER)
    except KeyError:
        reason = f"running as root needs a '{_SUPERUSER}' user; install it: {_INSTALL_HINT}"
        if servers_required():
            pytest.fail(reason)
        pytest.skip(reason)
    return [setpriv, f"--reuid={_SUPERUSER}", f"--regid={_SUPERUSER}", "--init-groups"]


def _chown_tree(path: Path) -> None:
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam(_SUPERUSER)
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs)]:
            os.chown(name, user.pw_uid, user.pw_gid)
        for name in files:
            os.chown(os.path.join(root, name), user.pw_uid, user.pw_gid)


def _private_dir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _chown_tree(path)
    return path


@functools.cache
def _template() -> Path:
    """An initdb'd data directory, made once per process and copied for every server."""
    bindir = postgres_bindir()
    root = _private_dir("flow-pg-template-")
    atexit.register(shutil.rmtree, root, True)
    data = root / "data"
    argv = [*_run_as(), str(bindir / "initdb"), "-D", str(data), "-U", _SUPERUSER]
    argv += ["-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return data


class PostgresServer:
    """One PostgreSQL server on 127.0.0.1, with a data directory of its own (removed on stop)."""

    def __init__(self) -> None:
        self.bindir = postgres_bindir()
        self.port = free_port()
        self.root = _private_dir("flow-pg-")
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        shutil.copytree(_template(), self.data, symlinks=True)
        self.sockets.mkdir()
        _chown_tree(self.root)
        self.data.chmod(0o700)
        argv = [*_run_as(), str(self.bindir / "postgres"), "-D", str(self.data)]
        argv += ["-p", str(self.port), "-k", str(self.sockets)]
        argv += ["-c", f"listen_addresses={LOOPBACK}", "-c", "fsync=off"]
        argv += ["-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        self.process = ServerProcess(
            argv, ready=self._ready, name="postgres", port=self.port, stop_signal=signal.SIGINT
        )

    @classmethod
    def start_new(cls) -> PostgresServer:
        """A started server (skips the test when PostgreSQL is not installed)."""
        return cls().start()

    def start(self) -> Self:
        """Start the server and wait until ``pg_isready`` says it accepts connections."""
        self.process.start()
        return self

    def stop(self) -> None:
        """Stop the server by PID (SIGINT: fast shutdown) and remove its data directory."""
        try:
            self.process.stop()
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again with the same data and port."""
        self.process.restart()

    def __enter__(self) -> Self:
        return self if self.process.running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def url(self, database: str = "postgres") -> str:
        """``postgresql://postgres@127.0.0.1:PORT/<database>`` (trust auth: no password)."""
        return f"postgresql://{_SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """Create a fresh, empty database (a random name unless given); returns its URL."""
        name = name or f"flow_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name_or_url: str) -> None:
        """Drop a database, disconnecting its sessions first."""
        name = name_or_url.rsplit("/", 1)[-1]
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host=LOOPBACK, port=self.port, user=_SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql.encode())

    def _ready(self) -> bool:
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port)]
        try:
            return subprocess.run(probe, timeout=5, check=False).returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            return False


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """A PostgreSQL server shared by the test session."""
    server = PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """The URL of a fresh database on the session's server, dropped after the test."""
    url = postgres_server.create_database()
    try:
        yield url
    finally:
        postgres_server.drop_database(url)
