"""A real ZooKeeper for the whole session, an admin client that writes to it, and znode sources."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flow.testing.servers import REQUIRE_SERVERS_ENV, servers_required
from flow_watcher_zookeeper.testing import (
    ZNodeSource,
    ZooKeeperNotFound,
    ZooKeeperServer,
    admin_client,
)

#: Options every test URI carries: a short session and quick reconnects keep restarts fast.
FAST = "session_timeout=2&backoff_max=0.2"
#: The digest identity of the admin client; nodes guarded by ZNodeSource.acl() admit only it.
CREDENTIALS = ("flow-reader", "s3cret-Passw0rd")


def zookeeper(directory: Path, **kwargs: Any) -> ZooKeeperServer:
    """A ZooKeeperServer (not started); skip, or fail under FLOW_REQUIRE_SERVERS=1, if absent."""
    try:
        return ZooKeeperServer(directory, **kwargs)
    except ZooKeeperNotFound as exc:
        if servers_required():
            pytest.fail(f"{exc} ({REQUIRE_SERVERS_ENV}=1 makes a missing server a failure)")
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def zk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ZooKeeperServer]:
    """One ZooKeeper for the session (tests that restart it leave it running)."""
    # Stopped like a crash (SIGKILL): the harder case for clients, and 0.3 s faster per restart.
    server = zookeeper(tmp_path_factory.mktemp("zookeeper"), stop_signal=signal.SIGKILL)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
def zk_admin(zk_server: ZooKeeperServer) -> Iterator[Any]:
    """A plain kazoo client that writes test data."""
    client = admin_client(zk_server.hosts, credentials=CREDENTIALS)
    try:
        yield client
    finally:
        client.stop()
        client.close()


@pytest.fixture
def znodes(zk_server: ZooKeeperServer, zk_admin: Any) -> ZNodeSource:
    """Fresh keys are znodes under /flow-tests; URIs carry the FAST options."""
    return ZNodeSource(zk_server, zk_admin, options=FAST, credentials=CREDENTIALS)


@pytest.fixture
def late_zookeeper(tmp_path: Path) -> Iterator[ZooKeeperServer]:
    """A second ZooKeeper on a free port, not started: the test starts and stops it."""
    server = zookeeper(tmp_path)
    try:
        yield server
    finally:
        server.stop()
