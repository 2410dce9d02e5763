"""NATS-specific behaviour: purges, revisions, missing buckets, no JetStream, outages."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flow.errors import SourceError
from flow.live.change import Change
from flow.live.watcher import open_watcher
from flow.testing import LeakCheck
from flow.testing.watcher_contract import Watch
from flow_watcher_nats import watcher as watcher_module
from flow_watcher_nats.watcher import NatsWatcher

from .conftest import Admin, NatsServer, arunning

DEADLINE = 10.0


def new_key(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def spare_server(tmp_path: Path) -> Iterator[NatsServer]:
    """A server of this test's own (not started): for outages the other tests must not see."""
    server = NatsServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


async def test_purge_gives_none(nats_server: NatsServer, admin: Admin) -> None:
    key = new_key("purge")
    await admin.put(key, b"value")
    watch = Watch(nats_server.uri(key))
    try:
        await watch.until(b"value", DEADLINE, allowed=())
        await admin.purge(key)
        await watch.until(None, DEADLINE, allowed=())
        await admin.put(key, b"again")
        await watch.until(b"again", DEADLINE, allowed=())
    finally:
        await watch.aclose()


async def test_revision_is_the_stream_sequence(nats_server: NatsServer, admin: Admin) -> None:
    key = new_key("revision")
    first = await admin.put(key, b"1")
    watch = Watch(nats_server.uri(key))
    try:
        assert (await watch.until(b"1", DEADLINE, allowed=())).revision == str(first)
        second = await admin.put(key, b"2")
        assert (await watch.until(b"2", DEADLINE, allowed=())).revision == str(second)
    finally:
        await watch.aclose()


async def test_a_larger_value_than_the_nats_default_payload(
    nats_server: NatsServer, admin: Admin
) -> None:
    # The fixture's server allows 8 MiB messages (max_payload); NATS' default is 1 MiB.
    key = new_key("large")
    value = bytes(range(256)) * (3 * 4096)  # 3 MiB, every byte value
    await admin.put(key, value)
    watch = Watch(nats_server.uri(key))
    try:
        await watch.until(value, DEADLINE, allowed=())
    finally:
        await watch.aclose()


async def test_missing_bucket_names_it_and_how_to_create_it(nats_server: NatsServer) -> None:
    watcher = open_watcher(nats_server.uri("k", bucket="not-there"))
    try:
        with pytest.raises(SourceError) as caught:
            await anext(watcher.changes())
    finally:
        await watcher.aclose()
    assert "'not-there' does not exist" in str(caught.value)
    assert "nats kv add not-there" in str(caught.value)


async def test_server_without_jetstream_is_a_source_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(watcher_module, "JETSTREAM_GRACE", 0.3)
    async with arunning(NatsServer(tmp_path, jetstream=False)) as server:
        watcher = open_watcher(server.uri("k"))
        try:
            with pytest.raises(SourceError, match="start nats-server with -js"):
                await asyncio.wait_for(anext(watcher.changes()), DEADLINE)
        finally:
            await watcher.aclose()


async def test_no_repeat_after_a_restart_when_nothing_changed(
    spare_server: NatsServer,
) -> None:
    async with arunning(spare_server):
        key = new_key("same")
        async with Admin(spare_server) as admin:
            await admin.put(key, b"kept")
            watch = Watch(spare_server.uri(key))
            try:
                await watch.until(b"kept", DEADLINE, allowed=())
                await spare_server.astop()
                await spare_server.astart()
                await admin.put(key, b"next")
                # The reconnect re-read "kept"; it equals what was yielded, so it is skipped.
                await watch.until(b"next", DEADLINE, allowed=())
            finally:
                await watch.aclose()


async def test_server_down_at_start_is_retried_until_it_is_up(spare_server: NatsServer) -> None:
    key = new_key("late")
    async with arunning(spare_server), Admin(spare_server) as admin:
        await admin.put(key, b"stored")
    watch = Watch(spare_server.uri(key))
    try:
        first = asyncio.create_task(watch.until(b"stored", DEADLINE, allowed=()))
        await spare_server.astart()  # only now is there a server to connect to
        await first
    finally:
        await watch.aclose()


async def test_close_while_reconnecting_ends_promptly_and_leaks_nothing(
    spare_server: NatsServer,
) -> None:
    check = LeakCheck(tasks=True, sockets=True)
    watcher = open_watcher(spare_server.uri("k"))  # never started: every connect is refused
    ended = asyncio.Event()

    async def consume() -> list[Change]:
        seen = [change async for change in watcher.changes()]
        ended.set()
        return seen

    consumer = asyncio.create_task(consume())
    try:
        assert isinstance(watcher, NatsWatcher)
        await poll_until(lambda: watcher.failures >= 2, "two refused connects")
        assert not ended.is_set()
        await watcher.aclose()
        assert await asyncio.wait_for(consumer, 2.0) == []
    finally:
        consumer.cancel()
    await check.assert_clean(timeout=5.0)


async def poll_until(predicate: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + DEADLINE
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            pytest.fail(f"{what}: did not happen within {DEADLINE}s")
        await asyncio.sleep(0.01)  # a poll interval bounded by the deadline
