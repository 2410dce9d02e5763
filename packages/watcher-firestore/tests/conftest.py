"""A real Firestore emulator for the tests, started from its jar with java (notes/servers.md).

One emulator per session, on a free loopback port, stopped by PID. It keeps
data in memory only, so a restart empties it; tests use fresh document ids.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flow.testing import ServerProcess, free_port, require_binary
from flow.testing.servers import http_ready, servers_required
from flow_watcher_firestore._session import close_client
from google.api_core import exceptions as api
from google.api_core.retry import Retry, if_exception_type
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

PACKAGE = "google-cloud-cli-firestore-emulator"
INSTALL = f"apt-get install {PACKAGE} default-jre-headless"
PROJECT = "flow-test"
COLLECTION = "flow"
LOOPBACK = "127.0.0.1"
#: Added to the command line of notes/servers.md: the C1-only JIT and the serial collector
#: start the emulator in ~2 s instead of 3-5 s on a busy 2-core machine and halve the first
#: write's warm-up, which keeps the 20-restart fault test near a minute.
EXTRA_JVM: list[str] = ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]


def emulator_jar() -> str:
    """The emulator's jar (from its Debian package), or skip naming the install command."""
    dpkg = shutil.which("dpkg")
    listing = ""
    if dpkg:
        result = subprocess.run(
            [dpkg, "-L", PACKAGE], capture_output=True, text=True, timeout=30, check=False
        )
        listing = result.stdout
    jars = [line for line in listing.splitlines() if line.endswith("cloud-firestore-emulator.jar")]
    if jars and Path(jars[0]).is_file():
        return jars[0]
    reason = f"the Firestore emulator is not installed; install it with: {INSTALL}"
    if servers_required():
        pytest.fail(f"{reason} (FLOW_REQUIRE_SERVERS=1 makes a missing server a failure)")
    pytest.skip(reason)


def emulator_argv(java: str, jar: str, port: int) -> list[str]:
    """The command line of notes/servers.md: the jar run directly, one PID, loopback only."""
    return [
        java, "-Xmx512m", *EXTRA_JVM, "-cp", jar,
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start",
        f"--host={LOOPBACK}", f"--port={port}", "--database-mode=firestore-native",
    ]  # fmt: skip


def start_emulator(directory: Path, name: str = "firestore-emulator") -> ServerProcess:
    """Start an emulator on a free port in ``directory``; ready when ``GET /`` answers Ok."""
    java = require_binary("java", INSTALL)
    jar = emulator_jar()
    port = free_port()
    process = ServerProcess(
        emulator_argv(java, jar, port),
        ready=lambda: http_ready(f"http://{LOOPBACK}:{port}/", contains="Ok"),
        name=name,
        port=port,
        cwd=directory,
        ready_timeout=90.0,  # 1.5–2.5 s when idle; much longer on a loaded 2-core machine
    )
    return process.start()


@dataclass
class Emulator:
    """One running emulator, a writer client for test data, and the URIs to watch it."""

    process: ServerProcess
    project: str = PROJECT
    _writer: Any = field(default=None, repr=False)

    @property
    def port(self) -> int:
        assert self.process.port is not None
        return self.process.port

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def uri(self, doc: str, query: str = "", *, database: str | None = None) -> str:
        """The watcher URI of ``flow/<doc>`` (``query``: extra options such as ``field=value``)."""
        options = [f"emulator={self.address}"]
        if database:
            options.append(f"database={database}")
        if query:
            options.append(query)
        return f"firestore://{self.project}/{COLLECTION}/{quote(doc, safe='')}?{'&'.join(options)}"

    def client(self, database: str | None = None) -> Any:
        """A new synchronous client on this emulator (close it)."""
        client = firestore.Client(
            project=self.project,
            database=database,
            credentials=AnonymousCredentials(),
        )
        client._emulator_host = self.address
        return client

    @property
    def writer(self) -> Any:
        if self._writer is None:
            self._writer = self.client()
        return self._writer

    def document(self, doc: str) -> Any:
        return self.writer.collection(COLLECTION).document(doc)

    async def set(self, doc: str, data: dict[str, Any]) -> None:
        """Replace ``flow/<doc>`` with ``data`` (on a worker thread: the client blocks)."""
        await asyncio.to_thread(self.document(doc).set, data, retry=WRITE_RETRY)

    async def delete(self, doc: str) -> None:
        await asyncio.to_thread(self.document(doc).delete, retry=WRITE_RETRY)

    def close_writer(self) -> None:
        if self._writer is not None:
            close_client(self._writer)
            self._writer = None

    async def stop(self) -> None:
        # A new writer after a restart: the old channel would wait out gRPC's reconnect backoff.
        self.close_writer()
        await asyncio.to_thread(self.process.stop)

    async def start(self) -> None:
        await asyncio.to_thread(self.process.start)


#: Just after a restart the emulator sometimes fails a write with CANCELLED ("call already
#: cancelled") or UNAVAILABLE; the client's default retry covers neither. set() and delete()
#: are idempotent, so the tests' writer retries them (the watcher under test is not involved).
WRITE_RETRY = Retry(
    predicate=if_exception_type(api.Cancelled, api.ServiceUnavailable, api.InternalServerError),
    initial=0.05,
    maximum=1.0,
    timeout=30.0,
)


def new_doc(label: str) -> str:
    """A document id no other test uses."""
    return f"{label}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The shared Firestore emulator."""
    process = start_emulator(tmp_path_factory.mktemp("firestore"))
    server = Emulator(process)
    try:
        yield server
    finally:
        server.close_writer()
        process.stop()
