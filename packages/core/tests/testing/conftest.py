"""A tiny in-memory key/value "server" and watchers for it, to test the test kit itself.

The good watcher (scheme ``memtest``) keeps the whole watcher contract. The
other schemes are watchers with one deliberate bug each, so the kit's tests
can show that the contract suite catches that bug.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from flow.errors import SourceError, SourceURIError
from flow.live.change import Change
from flow.live.uri import SourceURI
from flow.plugins import PluginCandidate, PluginHost, Register, hookimpl, reset_host


class MemoryServer:
    """Keys to bytes, with subscribers woken on every change; can be stopped and started."""

    def __init__(self) -> None:
        self.data: dict[str, bytes] = {}
        self.up = True
        self.writable_while_down = False
        self.subscribers: set[asyncio.Event] = set()
        # Bumped by every stop: a watcher from an older generation lost its "connection".
        self.generation = 0

    def _notify(self) -> None:
        for event in list(self.subscribers):
            event.set()

    def put(self, key: str, value: bytes) -> None:
        if not self.up and not self.writable_while_down:
            raise ConnectionRefusedError("memory server is down")
        self.data[key] = value
        self._notify()

    def remove(self, key: str) -> None:
        if not self.up:
            raise ConnectionRefusedError("memory server is down")
        self.data.pop(key, None)
        self._notify()

    def set_up(self, up: bool) -> None:
        self.up = up
        if not up:
            self.generation += 1
        self._notify()


SERVERS: dict[str, MemoryServer] = {}


def _parse(uri: SourceURI) -> tuple[MemoryServer, str]:
    uri.check_options(())
    key = uri.path.lstrip("/")
    if not key:
        raise SourceURIError(f"no key in {uri.redacted}; give memtest://SERVER/KEY")
    server = SERVERS.get(uri.host or "")
    if server is None:
        raise SourceError(f"no memory server {uri.host!r} for {uri.redacted}")
    return server, key


class MemoryWatcher:
    """A correct watcher: current value first, then every change, coalescing, reconnecting."""

    reconnects = True

    def __init__(self, uri: SourceURI) -> None:
        self.server, self.key = _parse(uri)
        self.wake = asyncio.Event()
        self.closed = False

    async def changes(self) -> AsyncIterator[Change]:
        self.server.subscribers.add(self.wake)
        try:
            last: bytes | object | None = ...
            generation = self.server.generation
            while not self.closed:
                # Cleared before reading, so a change made while suspended at the yield
                # below leaves the event set and is read on the next turn.
                self.wake.clear()
                if generation != self.server.generation:
                    if not self.reconnects:
                        return
                    generation = self.server.generation
                if self.server.up:
                    value = self.server.data.get(self.key)
                    if value != last:
                        last = value
                        yield Change(value)
                await self.wake.wait()
        finally:
            self.server.subscribers.discard(self.wake)

    async def aclose(self) -> None:
        self.closed = True
        self.wake.set()


class NoInitialNoneWatcher(MemoryWatcher):
    """Bug: waits for a missing key to appear instead of reporting Change(None)."""

    async def changes(self) -> AsyncIterator[Change]:
        async for change in super().changes():
            if change.value is not None:
                yield change


class DroppingWatcher(MemoryWatcher):
    """Bug: a bounded queue that drops changes when full (the last value of a burst is lost)."""

    async def changes(self) -> AsyncIterator[Change]:
        queue: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=8)
        queue.put_nowait(self.server.data.get(self.key))
        original = self.server.put

        def put(key: str, value: bytes) -> None:
            original(key, value)
            if key == self.key and not queue.full():
                queue.put_nowait(value)

        self.server.put = put  # type: ignore[method-assign]
        try:
            while not self.closed:
                yield Change(await queue.get())
        finally:
            self.server.put = original  # type: ignore[method-assign]


class NoReconnectWatcher(MemoryWatcher):
    """Bug: ends the iterator when the server goes away."""

    reconnects = False


class LeakyWatcher(MemoryWatcher):
    """Bug: starts a heartbeat thread and task and never stops them."""

    def __init__(self, uri: SourceURI) -> None:
        super().__init__(uri)
        self.stop_thread = threading.Event()
        LEAKED_THREAD_STOPS.append(self.stop_thread)
        self.thread = threading.Thread(
            target=self.stop_thread.wait, name="leaky-heartbeat", daemon=True
        )
        self.thread.start()
        self.task = asyncio.get_running_loop().create_task(
            asyncio.Event().wait(), name="leaky-heartbeat-task"
        )
        LEAKED_TASKS.append(self.task)


class HangingCloseWatcher(MemoryWatcher):
    """Bug: aclose() does not wake a consumer waiting in changes()."""

    async def aclose(self) -> None:
        self.closed = True


class SecretLeakingWatcher(MemoryWatcher):
    """Bug: puts the raw URI, password included, into its error."""

    def __init__(self, uri: SourceURI) -> None:
        if uri.options:
            raise SourceURIError(f"unknown option in {uri.raw}")
        super().__init__(uri)


class WrongErrorWatcher(MemoryWatcher):
    """Bug: raises a plain ValueError for a bad URI."""

    def __init__(self, uri: SourceURI) -> None:
        if uri.options:
            raise ValueError("bad option")
        super().__init__(uri)


class BlockingWatcher(MemoryWatcher):
    """Bug: a blocking call on the event loop for every change it reads."""

    async def changes(self) -> AsyncIterator[Change]:
        async for change in super().changes():
            BLOCK_LOOP()
            yield change


# Things the leaky watcher leaves behind, released by the test after the contract caught them.
LEAKED_THREAD_STOPS: list[threading.Event] = []
LEAKED_TASKS: list[asyncio.Task[bool]] = []


def _block_loop() -> None:
    # The deliberate bug: a synchronous wait on the loop (threading.Event.wait, not a sleep).
    threading.Event().wait(0.3)


BLOCK_LOOP: Callable[[], None] = _block_loop

WATCHERS: dict[str, type[MemoryWatcher]] = {
    "memtest": MemoryWatcher,
    "memtest-noinit": NoInitialNoneWatcher,
    "memtest-dropping": DroppingWatcher,
    "memtest-noreconnect": NoReconnectWatcher,
    "memtest-leaky": LeakyWatcher,
    "memtest-hanging": HangingCloseWatcher,
    "memtest-secret": SecretLeakingWatcher,
    "memtest-wrongerror": WrongErrorWatcher,
    "memtest-blocking": BlockingWatcher,
}


class _Plugin:
    @hookimpl
    def flow_register_watchers(self, register: Register) -> None:
        for scheme, factory in WATCHERS.items():
            register(scheme, factory)


@dataclass
class MemorySource:
    """The :class:`~flow.testing.watcher_contract.WatcherSource` of a memory server."""

    server: MemoryServer
    name: str
    scheme: str = "memtest"
    restartable: bool = True
    writes_while_down: bool = False
    calls: list[str] = field(default_factory=list)

    def uri(self, key: str) -> str:
        return f"{self.scheme}://{self.name}/{quote(key)}"

    async def write(self, key: str, value: bytes) -> None:
        self.server.put(key, value)

    async def delete(self, key: str) -> None:
        self.server.remove(key)

    async def stop(self) -> None:
        self.calls.append("stop")
        self.server.set_up(False)

    async def start(self) -> None:
        self.calls.append("start")
        self.server.set_up(True)


@pytest.fixture(autouse=True)
def memtest_plugins() -> Iterator[None]:
    """Install a plugin host that knows the memtest schemes, for the duration of a test."""
    candidate = PluginCandidate("memtest", "flow-testkit-selftest", "0", _Plugin)
    reset_host(PluginHost([candidate], environ={}))
    try:
        yield
    finally:
        reset_host(None)


@pytest.fixture
def memory_server() -> Iterator[tuple[str, MemoryServer]]:
    """A fresh memory server registered under a unique name."""
    name = f"mem{len(SERVERS)}-{id(object())}"
    server = MemoryServer()
    SERVERS[name] = server
    try:
        yield name, server
    finally:
        del SERVERS[name]


@pytest.fixture
def make_source(memory_server: tuple[str, MemoryServer]) -> Callable[..., MemorySource]:
    """Build the source for this test's memory server, watched through ``scheme``."""
    name, server = memory_server

    def make(scheme: str = "memtest", *, writes_while_down: bool = False) -> MemorySource:
        server.writable_while_down = writes_while_down
        return MemorySource(server, name, scheme, writes_while_down=writes_while_down)

    return make


class Leftovers:
    """What :class:`LeakyWatcher` left running; ``release()`` ends it after the check."""

    async def release(self) -> None:
        for stop in LEAKED_THREAD_STOPS:
            stop.set()
        for task in LEAKED_TASKS:
            task.cancel()
        await asyncio.gather(*LEAKED_TASKS, return_exceptions=True)
        LEAKED_THREAD_STOPS.clear()
        LEAKED_TASKS.clear()


@pytest.fixture
def leftovers() -> Leftovers:
    """Handle to release what the deliberately leaky watcher left behind."""
    return Leftovers()
