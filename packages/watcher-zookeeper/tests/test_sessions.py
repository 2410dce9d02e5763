"""Connection states: a restart (SUSPENDED → CONNECTED), session expiry (LOST), a late server."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from flow.testing import LeakCheck
from flow.testing.watcher_contract import Watch
from flow_watcher_zookeeper.testing import ZNodeSource, ZooKeeperServer
from kazoo.client import KazooClient  # type: ignore[import-untyped]
from kazoo.protocol.states import KazooState  # type: ignore[import-untyped]

DEADLINE = 20.0


class States:
    """The kazoo connection states of a watcher's (only) client, as they happen."""

    def __init__(self, watch: Watch) -> None:
        sessions = watch.watcher._sessions  # type: ignore[attr-defined]
        assert len(sessions) == 1, "open the watcher (read its first change) before this"
        self.client: Any = next(iter(sessions))._client
        self.seen: list[str] = []
        self.client.add_listener(self.seen.append)

    async def reach(self, *expected: str) -> None:
        """Poll (with a deadline) until ``expected`` appear in this order among the states seen."""
        deadline = time.monotonic() + DEADLINE
        while not _in_order(self.seen, expected):
            assert time.monotonic() < deadline, f"states {self.seen}, wanted {expected} in order"
            await asyncio.sleep(0.01)  # a poll interval, bounded by the deadline


def _in_order(seen: list[str], expected: tuple[str, ...]) -> bool:
    remaining = iter(seen)
    return all(state in remaining for state in expected)


def new_key(label: str) -> str:
    return f"flow-{label}-{uuid.uuid4().hex[:12]}"


def end_session(hosts: str, client_id: tuple[int, bytes]) -> None:
    """Close someone else's session on the server: attach to it with its id, then close it."""
    thief = KazooClient(hosts=hosts, client_id=client_id, timeout=2.0)
    thief.start(timeout=DEADLINE)
    thief.stop()
    thief.close()


async def test_restart_keeps_the_session_and_rearms_the_watch(znodes: ZNodeSource) -> None:
    key = new_key("suspend")
    await znodes.write(key, b"before")
    # A session that outlives the restart: the client resumes it (SUSPENDED, then CONNECTED).
    watch = Watch(f"zk://{znodes.server.hosts}{znodes.path(key)}?session_timeout=10")
    try:
        await watch.until(b"before", DEADLINE, allowed=())
        states = States(watch)
        session_id = states.client.client_id[0]
        await znodes.stop()
        await states.reach(KazooState.SUSPENDED)
        await znodes.start()
        await states.reach(KazooState.SUSPENDED, KazooState.CONNECTED)
        assert KazooState.LOST not in states.seen
        assert states.client.client_id[0] == session_id
        await znodes.write(key, b"after")  # seen only if the watch was set again
        await watch.until(b"after", DEADLINE, allowed={b"before"})
    finally:
        await watch.aclose()


async def test_expired_session_is_replaced_and_the_node_read_again(znodes: ZNodeSource) -> None:
    key = new_key("expiry")
    await znodes.write(key, b"old-session")
    watch = Watch(znodes.uri(key))
    try:
        await watch.until(b"old-session", DEADLINE, allowed=())
        states = States(watch)
        old_id = states.client.client_id[0]
        await asyncio.to_thread(end_session, znodes.server.hosts, states.client.client_id)
        await states.reach(KazooState.LOST)
        await znodes.write(key, b"while-expired")
        await watch.until(b"while-expired", DEADLINE, allowed={b"old-session"})
        await states.reach(KazooState.LOST, KazooState.CONNECTED)
        assert states.client.client_id[0] != old_id
        await znodes.write(key, b"new-session")  # the watch lives in the new session
        await watch.until(b"new-session", DEADLINE, allowed={b"while-expired"})
    finally:
        await watch.aclose()


async def test_late_server_then_close_while_it_is_down(
    late_zookeeper: ZooKeeperServer, znodes: ZNodeSource
) -> None:
    server = late_zookeeper
    check = LeakCheck(tasks=False)
    watch = Watch(f"zk://{server.hosts}/flow/late?{znodes.options}")
    try:
        # Nothing listens yet: the watcher keeps reconnecting instead of failing.
        first = asyncio.ensure_future(watch.until(None, 60.0, allowed=()))
        await asyncio.to_thread(server.start)
        await first  # a fresh server: the node is absent
        await asyncio.to_thread(server.stop)
        started = time.monotonic()
        await watch.aclose()  # while reconnecting to a server that is gone
        assert time.monotonic() - started < 3.0, "aclose() must not wait out the reconnect backoff"
        await check.assert_clean(timeout=5.0)
    finally:
        await watch.aclose()
        await asyncio.to_thread(server.stop)
