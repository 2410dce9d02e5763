"""Resuming after an outage: replay without gaps, re-read after compaction or lost history."""

from __future__ import annotations

import asyncio
import logging
import shutil
import uuid
from typing import Any

from flow.testing.watcher_contract import Watch

TIMEOUT = 10.0


def fresh_key(label: str) -> str:
    return f"/resume/{label}-{uuid.uuid4().hex[:12]}"


def through(proxy: Any, key: str) -> str:
    return f"etcd://127.0.0.1:{proxy.port}{key}"


async def test_after_an_outage_every_change_is_replayed_in_order(writer: Any, proxy: Any) -> None:
    key = fresh_key("replay")
    await writer.put(key, b"v0")
    watch = Watch(through(proxy, key))
    try:
        await watch.until(b"v0", TIMEOUT, allowed=())
        await proxy.cut()
        revisions = [await writer.put(key, b"v%d" % i) for i in (1, 2, 3)]
        await writer.delete(key)
        proxy.restore()
        # Resumed from the last revision seen + 1: each change, none skipped.
        for i, revision in zip((1, 2, 3), revisions, strict=True):
            change = await watch.until(b"v%d" % i, TIMEOUT, allowed=())
            assert change.revision == str(revision)
        await watch.until(None, TIMEOUT, allowed=())
        assert proxy.connections >= 2  # it really reconnected
    finally:
        await watch.aclose()


async def test_a_compacted_resume_point_is_read_again(writer: Any, proxy: Any) -> None:
    key = fresh_key("compacted")
    await writer.put(key, b"c0")
    watch = Watch(through(proxy, key))
    try:
        await watch.until(b"c0", TIMEOUT, allowed=())
        await proxy.cut()
        for i in range(1, 5):
            last = await writer.put(key, b"c%d" % i)
        await writer.compact()  # the watcher's resume point (c0's revision + 1) is gone
        proxy.restore()
        # The replay is impossible: the current value comes next, nothing in between.
        change = await watch.until(b"c4", TIMEOUT, allowed=())
        assert change.revision == str(last)
        await writer.put(key, b"c5")  # and it watches again from there
        await watch.until(b"c5", TIMEOUT, allowed=())
    finally:
        await watch.aclose()


async def test_a_key_deleted_and_compacted_during_an_outage_reads_as_none(
    writer: Any, proxy: Any
) -> None:
    key = fresh_key("gone")
    await writer.put(key, b"here")
    watch = Watch(through(proxy, key))
    try:
        await watch.until(b"here", TIMEOUT, allowed=())
        await proxy.cut()
        await writer.delete(key)
        await writer.compact()
        proxy.restore()
        await watch.until(None, TIMEOUT, allowed=())
    finally:
        await watch.aclose()


async def test_compaction_under_a_live_watch_changes_nothing(writer: Any) -> None:
    key = fresh_key("live")
    await writer.put(key, b"a")
    watch = Watch(writer.server.uri(key))
    try:
        await watch.until(b"a", TIMEOUT, allowed=())
        await writer.put(key, b"b")
        await watch.until(b"b", TIMEOUT, allowed=())
        await writer.compact()
        await writer.put(key, b"c")
        await watch.until(b"c", TIMEOUT, allowed=())
    finally:
        await watch.aclose()


async def test_a_server_that_lost_its_history_is_read_again(own_etcd: Any) -> None:
    """etcd restored from nothing: its revisions restart below the watcher's resume point."""
    writer = own_etcd
    for i in range(20):  # push the revision well above what the new server will have
        await writer.put("/other", b"%d" % i)
    await writer.put("/k", b"old")
    watch = Watch(writer.server.uri("/k"))
    try:
        await watch.until(b"old", TIMEOUT, allowed=())
        await writer.stop()
        shutil.rmtree(writer.server.data_dir)
        await writer.start()
        assert await writer.put("/k", b"new") < 20
        await watch.until(b"new", TIMEOUT, allowed={None})
    finally:
        await watch.aclose()


class _Retrying(logging.Handler):
    """Sets ``seen`` when the watcher logs that it is reconnecting."""

    def __init__(self) -> None:
        super().__init__()
        self.seen = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if "reconnecting" in record.getMessage():
            self.seen.set()


async def test_a_server_that_is_down_at_start_is_waited_for(own_etcd: Any) -> None:
    writer = own_etcd
    await writer.put("/k", b"there")
    await writer.stop()
    retrying = _Retrying()
    logging.getLogger("flow.watcher.etcd").addHandler(retrying)
    watch = Watch(writer.server.uri("/k"))
    first = asyncio.create_task(watch.until(b"there", TIMEOUT, allowed=()))
    try:
        await asyncio.wait_for(retrying.seen.wait(), TIMEOUT)  # it failed to connect
        assert not first.done()
        await writer.start()
        await first
        await writer.put("/k", b"then")
        await watch.until(b"then", TIMEOUT, allowed=())
    finally:
        logging.getLogger("flow.watcher.etcd").removeHandler(retrying)
        first.cancel()
        await asyncio.wait({first})
        await watch.aclose()
