"""Redis-specific behaviour and failure paths, on the real server.

Covers what the generic contract cannot: every kind of keyspace event
(rename, expiry, move, TTL-only changes), the db taken from the URI path,
keys of the wrong type, a server with notifications off, and a server that
is down when watching starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aredis
from flow.errors import SourceError, SourceTypeError, SourceURIError
from flow.live.change import Change
from flow.live.watcher import open_watcher
from flow.testing import LeakCheck, ServerProcess, free_port, require_binary
from flow.testing.watcher_contract import Watch
from flow_watcher_redis.watcher import RedisWatcher

from .conftest import INSTALL, RedisServer, new_key, ping, redis_argv

DEADLINE = 10.0


@contextlib.asynccontextmanager
async def watching(uri: str) -> AsyncIterator[Watch]:
    watch = Watch(uri)
    try:
        yield watch
    finally:
        await watch.aclose()


async def first_error(uri: str) -> SourceError:
    """The SourceError that watching ``uri`` raises (fails if it yields or hangs)."""
    watcher = open_watcher(uri)
    try:
        async with asyncio.timeout(DEADLINE):
            with pytest.raises(SourceError) as raised:
                await anext(aiter(watcher.changes()))
    finally:
        await watcher.aclose()
    return raised.value


async def test_rename_away_and_back(redis_server: RedisServer, writer: aredis.Redis) -> None:
    key, other = new_key("rename"), new_key("rename-other")
    await writer.set(key, b"v1")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(b"v1", DEADLINE, allowed=())
        await writer.rename(key, other)  # rename_from on the watched key
        await watch.until(None, DEADLINE, allowed=())
        await writer.set(other, b"v2")
        await writer.rename(other, key)  # rename_to on the watched key
        await watch.until(b"v2", DEADLINE, allowed=())


async def test_expiry_gives_none_and_ttl_changes_give_nothing(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    key = new_key("expire")
    await writer.set(key, b"short-lived")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(b"short-lived", DEADLINE, allowed=())
        await writer.expire(key, 3600)  # "expire": the value is unchanged
        await writer.persist(key)  # "persist": unchanged too
        await writer.pexpire(key, 50)  # then it really expires ("expired")
        await watch.until(None, DEADLINE, allowed=())
    assert [c.value for c in watch.seen] == [b"short-lived", None]


async def test_other_string_commands_are_seen(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    key = new_key("commands")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(None, DEADLINE, allowed=())
        await writer.append(key, b"ab")
        await watch.until(b"ab", DEADLINE, allowed=())
        await writer.setrange(key, 1, b"XY")
        await watch.until(b"aXY", DEADLINE, allowed=())
        await writer.set(key, b"10")
        await watch.until(b"10", DEADLINE, allowed=())
        await writer.incrby(key, 5)
        await watch.until(b"15", DEADLINE, allowed=())
        await writer.getdel(key)
        await watch.until(None, DEADLINE, allowed=())


async def test_unchanged_writes_are_not_repeated(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    key = new_key("same")
    await writer.set(key, b"same")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(b"same", DEADLINE, allowed=())
        for _ in range(3):
            await writer.set(key, b"same")
        await writer.set(key, b"different")
        await watch.until(b"different", DEADLINE, allowed=())
    assert [c.value for c in watch.seen] == [b"same", b"different"]


async def test_killed_connections_are_reopened_and_the_key_reread(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    """Connections cut by the server (CLIENT KILL) are replaced; a write in the gap is seen."""
    key = new_key("killed")
    await writer.set(key, b"before")
    async with watching(redis_server.uri(key)) as watch:
        await watch.until(b"before", DEADLINE, allowed=())
        killed = await writer.client_kill_filter(_type="pubsub")
        assert killed >= 1
        await writer.set(key, b"during-the-gap")
        await watch.until(b"during-the-gap", DEADLINE, allowed=())
        await writer.set(key, b"after")
        await watch.until(b"after", DEADLINE, allowed={b"during-the-gap"})


async def test_db_comes_from_the_uri_path(redis_server: RedisServer) -> None:
    key = new_key("db")
    db0, db3 = redis_server.client(0), redis_server.client(3)
    try:
        await db3.set(key, b"in-db-3")
        async with watching(redis_server.uri(key, db=3)) as watch:
            await watch.until(b"in-db-3", DEADLINE, allowed=())
            await db0.set(key, b"in-db-0")  # the same key in another db is not ours
            await db3.set(key, b"db-3-again")
            await watch.until(b"db-3-again", DEADLINE, allowed=())
            await db3.move(key, 4)  # move_from: gone from db 3
            await watch.until(None, DEADLINE, allowed=())
        assert b"in-db-0" not in [c.value for c in watch.seen]
    finally:
        await db0.aclose()
        await db3.aclose()


@pytest.mark.parametrize("kind", ["hash", "list"])
async def test_non_string_key_at_start_is_a_type_error(
    redis_server: RedisServer, writer: aredis.Redis, kind: str
) -> None:
    key = new_key(kind)
    if kind == "hash":
        await writer.hset(key, "field", "value")
    else:
        await writer.rpush(key, "item")
    error = await first_error(redis_server.uri(key))
    assert isinstance(error, SourceTypeError)
    assert f"holds a {kind}, not a string" in str(error)
    assert redis_server.uri(key).split("?")[0] in str(error)


async def test_key_turning_into_a_hash_ends_with_a_type_error(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    key = new_key("turns-hash")
    await writer.set(key, b"string-first")
    watcher = RedisWatcher(redis_server.uri(key))
    changes = aiter(watcher.changes())
    try:
        assert await asyncio.wait_for(anext(changes), DEADLINE) == Change(b"string-first")
        await writer.delete(key)
        assert await asyncio.wait_for(anext(changes), DEADLINE) == Change(None)
        await writer.hset(key, "field", "value")
        with pytest.raises(SourceTypeError, match="holds a hash"):
            await asyncio.wait_for(anext(changes), DEADLINE)
    finally:
        await watcher.aclose()


async def test_missing_database_is_a_uri_error(redis_server: RedisServer) -> None:
    error = await first_error(redis_server.uri(new_key("nodb"), db=4000))
    assert isinstance(error, SourceURIError)
    assert "database 4000 does not exist" in str(error)


async def test_notifications_off_is_refused_with_the_fix(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    await writer.config_set("notify-keyspace-events", "")
    try:
        error = await first_error(redis_server.uri(new_key("silent")))
    finally:
        await writer.config_set("notify-keyspace-events", "KEA")
    assert type(error) is SourceError
    assert "notify-keyspace-events KEA" in str(error)


async def test_notifications_with_only_the_needed_classes_are_accepted(
    redis_server: RedisServer, writer: aredis.Redis
) -> None:
    key = new_key("minimal-flags")
    await writer.config_set("notify-keyspace-events", "K$gx")
    try:
        async with watching(redis_server.uri(key)) as watch:
            await watch.until(None, DEADLINE, allowed=())
            await writer.set(key, b"seen")
            await watch.until(b"seen", DEADLINE, allowed=())
    finally:
        await writer.config_set("notify-keyspace-events", "KEA")


async def test_server_down_at_start_is_waited_for(
    tmp_path_factory: pytest.TempPathFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """A watcher opened before its server exists connects once the server comes up."""
    binary = require_binary("redis-server", INSTALL)
    port = free_port()
    argv = redis_argv(binary, port, tmp_path_factory.mktemp("late"))
    server = ServerProcess(argv, ready=lambda: ping(port), name="redis-late")
    check = LeakCheck(sockets=True)
    key = new_key("late")
    watch = Watch(f"redis://127.0.0.1:{port}/0?key={key}")
    first = asyncio.create_task(watch.until(b"finally-up", 20.0))
    caplog.set_level(logging.WARNING, logger="flow.watcher.redis")
    try:
        await poll(lambda: "reconnecting" in caplog.text, "the watcher to report the outage")
        assert not first.done()
        await asyncio.to_thread(server.start)
        client = aredis.Redis(port=port, protocol=2)
        try:
            await client.set(key, b"finally-up")
        finally:
            await client.aclose()
        await first
    finally:
        first.cancel()
        with contextlib.suppress(BaseException):
            await first
        await watch.aclose()
        await asyncio.to_thread(server.stop)
    await check.assert_clean(timeout=5.0)


async def poll(predicate: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    """Poll ``predicate`` until true, failing after ``timeout`` seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - log records come with no event to await
            await asyncio.sleep(0.01)  # a poll interval, bounded by the timeout
    assert predicate(), what
