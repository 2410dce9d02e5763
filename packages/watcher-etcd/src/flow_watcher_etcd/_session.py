"""``Session``: one authenticated connection to etcd that reads and watches one key.

aetcd opens the gRPC channel and authenticates; the read and the watch use
its generated stubs directly. Its high-level ``watch()`` is not used: it
hides the response header and ignores a server-side cancel other than
compaction (the watch would hang), and its callback queue adds a hop to
every change.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aetcd  # type: ignore[import-untyped]
from aetcd import rpc
from flow.live.change import Change
from grpc import StatusCode  # type: ignore[import-untyped]
from grpc.aio import EOF, AioRpcError  # type: ignore[import-untyped]

from ._config import EtcdConfig

__all__ = ["Compacted", "Session", "Snapshot", "StreamLost"]

_DELETE = rpc.Event.EventType.DELETE
_CHANNEL_OPTIONS: dict[str, Any] = {
    # A watch response may batch many events of up to 1.5 MiB each (etcd's default
    # request limit); the default 4 MiB receive limit would break the stream.
    "grpc.max_receive_message_length": -1,
    # Find a dead peer on an idle watch stream (no RST after a network cut). etcd
    # closes connections that ping more often than every 5 s (--grpc-keepalive-min-time)
    # or ping with no call open, so pings go only while the watch stream is.
    "grpc.keepalive_time_ms": 10_000,
    "grpc.keepalive_timeout_ms": 5_000,
    "grpc.http2.max_pings_without_data": 0,
    # Each session dials its own connection: a shared subchannel would carry over the
    # previous one's reconnect backoff (up to 2 minutes) after a server restart.
    "grpc.use_local_subchannel_pool": 1,
}


class Compacted(Exception):
    """The watch's start revision was compacted away: read the key again."""

    def __init__(self, compact_revision: int) -> None:
        super().__init__(f"revision compacted; the oldest kept is {compact_revision}")
        self.compact_revision = compact_revision


class StreamLost(Exception):
    """The server ended or cancelled the watch stream (reconnect and resume)."""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The key's state as of store revision ``revision``."""

    change: Change
    revision: int


class Session:
    """One connection: ``await Session.open(config)``; ``read()``; ``watch(start)``; ``close()``."""

    def __init__(self, config: EtcdConfig, client: Any) -> None:
        self._config = config
        self._client = client
        self._kv = rpc.KVStub(client.channel)
        self._watch = rpc.WatchStub(client.channel)
        self._call: Any = None

    @classmethod
    async def open(cls, config: EtcdConfig) -> Session:
        """Connect and authenticate (a gRPC error propagates; classify it with ``_errors``)."""
        client = aetcd.Client(
            host=config.host,
            port=config.port,
            username=config.username,
            password=config.password,
            timeout=config.timeout,
            options=_CHANNEL_OPTIONS,
        )
        try:
            await client.connect()
        except BaseException:
            await client.close()
            raise
        return cls(config, client)

    async def read(self) -> Snapshot:
        """The key's value now (``Change(None)`` when absent) and the store revision."""
        response = await self._kv.Range(
            rpc.RangeRequest(key=self._config.key),
            timeout=self._config.timeout,
            metadata=self._client.metadata,
        )
        revision = int(response.header.revision)
        if not response.kvs:
            return Snapshot(Change(None), revision)
        kv = response.kvs[0]
        return Snapshot(Change(kv.value, str(kv.mod_revision)), revision)

    async def can_resume(self, start: int) -> bool:
        """Whether a watch from ``start`` would replay every change since ``start - 1``.

        False when revision ``start - 1`` was compacted (etcd drops a delete at
        exactly the compaction revision, so a watch from it could miss one) or
        lies in the future (the server lost history): read the key again then.
        """
        try:
            await self._kv.Range(
                rpc.RangeRequest(key=self._config.key, revision=start - 1, count_only=True),
                timeout=self._config.timeout,
                metadata=self._client.metadata,
            )
        except AioRpcError as exc:
            if exc.code() == StatusCode.OUT_OF_RANGE:
                return False
            raise
        return True

    async def watch(self, start: int) -> AsyncIterator[tuple[Change, int]]:
        """Every change of the key from store revision ``start`` on, with its revision.

        Raises :class:`Compacted` when ``start`` is older than the oldest kept
        revision, and :class:`StreamLost` when the server ends the stream.
        """
        call = self._call = self._watch.Watch(metadata=self._client.metadata)
        create = rpc.WatchCreateRequest(key=self._config.key, start_revision=start)
        try:
            await call.write(rpc.WatchRequest(create_request=create))
            async with asyncio.timeout(self._config.timeout):
                _check(await call.read())  # the "created" answer: the watch is in place
            while True:
                response = _check(await call.read())
                for event in response.events:
                    kv = event.kv
                    value = None if event.type == _DELETE else kv.value
                    yield Change(value, str(kv.mod_revision)), int(kv.mod_revision)
        finally:
            self._call = None
            call.cancel()

    async def close(self) -> None:
        """Cancel the watch stream and close the channel."""
        if self._call is not None:
            self._call.cancel()
        await self._client.close()


def _check(response: Any) -> Any:
    if response is EOF:
        raise StreamLost("etcd ended the watch stream")
    if response.compact_revision:
        raise Compacted(int(response.compact_revision))
    if response.canceled:
        raise StreamLost(f"etcd cancelled the watch: {response.cancel_reason or 'no reason'}")
    return response
