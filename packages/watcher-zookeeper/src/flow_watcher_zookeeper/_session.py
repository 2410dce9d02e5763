"""``ZkSession``: one kazoo client reading one znode, its results handed to the asyncio loop.

kazoo is thread-based. Reads run on kazoo's callback thread, one at a time, as
kazoo's own DataWatch recipe does: a fired watch reads the node there at once
(and sets the next watch), so a change costs one hand-over to the loop. Every
result, in order, crosses to the loop with ``loop.call_soon_threadsafe``;
starting and stopping the client (which joins its threads) run in a worker
thread via ``asyncio.to_thread``. The loop is never blocked.

Why not DataWatch itself: after its first call it swallows errors (a refused
read is only logged and the watch silently ends), it retries a lost connection
with sleeps that hold up ``stop()``, and it starts an untracked thread per reconnect.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from typing import Any

from flow.live.change import Change
from flow.live.mailbox import hand_over
from kazoo.client import KazooClient  # type: ignore[import-untyped]
from kazoo.exceptions import NoNodeError  # type: ignore[import-untyped]
from kazoo.protocol.states import Callback, EventType, KazooState  # type: ignore[import-untyped]
from kazoo.retry import KazooRetry  # type: ignore[import-untyped]

from ._address import ZkAddress

__all__ = ["Outcome", "ZkSession"]

logger = logging.getLogger("flow.watcher.zookeeper")

#: One read's result: the node's state, or the exception the read raised.
Outcome = Change | Exception

# Reconnects: kazoo's own connection thread retries with exponential backoff and
# jitter (it accepts only a KazooRetry policy); these are its settings.
_RECONNECT_FIRST_DELAY = 0.05
_RECONNECT_JITTER = 0.5


class ZkSession:
    """A kazoo client that reads one znode whenever it (re)connects or its watch fires.

    A read sets a watch on the node (an exists watch when it is absent). kazoo
    drops its watch callbacks when a connection is lost, so every CONNECTED
    (the same session resumed, or a new one after expiry) reads again.
    :meth:`outcomes` returns what the reads found, oldest first.
    """

    def __init__(self, address: ZkAddress, loop: asyncio.AbstractEventLoop) -> None:
        self.address = address
        self.closed = False
        self._loop = loop
        self._lock = asyncio.Lock()  # start and close never overlap
        self._started = False
        self._outcomes: deque[Outcome] = deque()
        self._ready = asyncio.Event()
        self._retry: asyncio.TimerHandle | None = None
        self._client = KazooClient(
            hosts=address.hosts,
            timeout=address.session_timeout,
            auth_data=address.auth_data,
            connection_retry=KazooRetry(
                max_tries=-1,
                delay=_RECONNECT_FIRST_DELAY,
                backoff=2,
                max_jitter=_RECONNECT_JITTER,
                max_delay=address.backoff_max,
            ),
        )
        self._client.add_listener(self._on_state)

    # -- the loop's side ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start connecting; kazoo connects and reconnects in its own thread."""
        async with self._lock:
            if self.closed or self._started:
                return
            self._started = True
            await asyncio.to_thread(self._client.start_async)

    async def outcomes(self) -> list[Outcome]:
        """Wait for read results and return them, oldest first; ``[]`` once closed."""
        await self._ready.wait()
        self._ready.clear()
        if self.closed:
            return []
        batch = list(self._outcomes)
        self._outcomes.clear()
        return batch

    def read_later(self, delay: float) -> None:
        """Read again after ``delay`` seconds (after a failed read; a reconnect reads anyway)."""
        if self._retry is None and not self.closed:
            self._retry = self._loop.call_later(delay, self._retry_now)

    async def close(self) -> None:
        """Stop the client and join its threads; :meth:`outcomes` then returns ``[]``."""
        self.closed = True
        self._ready.set()
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        async with self._lock:
            if self._started:
                self._started = False
                await asyncio.to_thread(_stop_client, self._client, self.address.display)

    def _retry_now(self) -> None:
        self._retry = None
        if not self.closed:
            self._request_read()

    def _request_read(self) -> None:
        """Queue a read on kazoo's callback thread (safe from any thread)."""
        self._client.handler.dispatch_callback(Callback("watch", self._read, ()))

    def _deliver(self, outcome: Outcome) -> None:
        if not self.closed:
            self._outcomes.append(outcome)
            self._ready.set()

    # -- kazoo's threads ----------------------------------------------------------------------

    def _on_state(self, state: str) -> None:
        """kazoo's connection thread: SUSPENDED, LOST (session expired) or CONNECTED."""
        logger.info("%s: ZooKeeper connection %s", self.address.display, state)
        if state == KazooState.CONNECTED and not self.closed:
            self._request_read()  # never block this thread: the read runs on the callback thread

    def _on_watch(self, event: Any) -> None:
        """kazoo's callback thread: the node was created, changed or deleted."""
        if event.type != EventType.NONE:  # NONE: kazoo clearing its watches on a disconnect
            self._read()

    def _read(self) -> None:
        """kazoo's callback thread: read the node (setting the next watch), hand over the result."""
        if self.closed:
            return
        outcome: Outcome
        try:
            outcome = self._read_node()
        except Exception as exc:
            outcome = exc
        hand_over(self._loop, self._deliver, outcome)  # False: the loop closed, nobody waits

    def _read_node(self) -> Change:
        path = self.address.path
        while True:
            try:
                data, stat = self._client.get(path, watch=self._on_watch)
            except NoNodeError:
                # A data watch cannot be set on a missing node: an exists watch sees its creation.
                if self._client.exists(path, watch=self._on_watch) is None:
                    return Change(None)
                continue  # created between the two calls: read its data
            # A node created without data (by a non-kazoo client) exists: it is empty, not absent.
            return Change(b"" if data is None else data, str(stat.mzxid))


def _stop_client(client: Any, display: str) -> None:
    """Worker thread: end the session and join kazoo's threads, then free its sockets."""
    try:
        client.stop()
    except Exception:  # a writer that would not stop: still free what can be freed
        logger.warning("%s: the ZooKeeper client did not stop cleanly", display, exc_info=True)
    try:
        client.close()
    except Exception:
        logger.warning("%s: the ZooKeeper client did not close cleanly", display, exc_info=True)
