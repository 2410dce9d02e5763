"""``WatcherContract``: the test suite every watcher provider subclasses.

A provider's test module supplies one fixture, ``watcher_source``, returning
a :class:`WatcherSource` (how to address, write, delete and restart its real
source), and inherits a test per point of the watcher contract (DESIGN §4)::

    class TestRedisWatcher(WatcherContract):
        @pytest.fixture
        def watcher_source(self, redis_server: RedisServer) -> WatcherSource:
            return RedisSource(redis_server)

        def bad_uris(self, source: WatcherSource) -> list[str]:
            return ["redis://127.0.0.1:1/0?key=k&bogus=1"]

Watchers are built with :func:`flow.live.watcher.open_watcher`, so the URI
scheme is resolved through the plugin registry exactly as for users. Every
wait has a deadline and a failure shows the changes seen so far. See
``docs/testing.md`` for a complete example.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from typing import ClassVar, Protocol, TypeVar, runtime_checkable
from urllib.parse import parse_qsl, urlsplit

import pytest

from ..errors import SourceError
from ..live.change import Change
from ..live.watcher import Watcher, open_watcher
from ..redaction import SECRET_OPTION, redact
from .leaks import LeakCheck

__all__ = ["Watch", "WatcherContract", "WatcherSource", "next_value", "show"]

T = TypeVar("T")

#: What to wait for: an exact value (``None`` = absent), or a predicate on the Change.
Want = bytes | None | Callable[[Change], bool]
#: Values tolerated before the wanted one (anything else fails at once); None = anything.
Allowed = Collection[bytes | None] | None


@runtime_checkable
class WatcherSource(Protocol):
    """How the contract reaches a provider's real source (what ``watcher_source`` returns).

    Keys are unique per test and may contain non-ASCII characters; map them to
    whatever your source addresses (a Redis key, a ZooKeeper path, a file name).
    """

    #: False: the restart test is skipped (``stop``/``start`` may raise NotImplementedError).
    restartable: bool
    #: True when ``write`` works while the server is stopped (a file does; Redis does not).
    writes_while_down: bool

    def uri(self, key: str) -> str:
        """The URI a user would give to watch ``key`` (it goes through ``open_watcher``)."""
        ...

    async def write(self, key: str, value: bytes) -> None:
        """Create or replace ``key`` with ``value``; return once the source has stored it."""
        ...

    async def delete(self, key: str) -> None:
        """Remove ``key`` from the source."""
        ...

    async def stop(self) -> None:
        """Stop the real server (keep its port and data); return once it is down."""
        ...

    async def start(self) -> None:
        """Start the server again on the same port with the same data; return once ready."""
        ...


# -- helpers a provider's own tests can use too ----------------------------------------------


def show(value: bytes | None) -> str:
    """A short, printable form of a value for failure messages (large values are cut)."""
    if value is None:
        return "None"
    if len(value) <= 48:
        return repr(value)
    return f"{value[:32]!r}…<{len(value)} bytes>"


def _check_item(item: object) -> Change:
    if not isinstance(item, Change):
        pytest.fail(f"changes() yielded {type(item).__name__}, not flow.Change", pytrace=False)
    if item.value is not None and type(item.value) is not bytes:
        pytest.fail(
            f"Change.value must be bytes or None, got {type(item.value).__name__}", pytrace=False
        )
    if item.revision is not None and not isinstance(item.revision, str):
        pytest.fail(
            f"Change.revision must be str or None, got {type(item.revision).__name__}",
            pytrace=False,
        )
    return item


def _describe_want(want: Want) -> str:
    if callable(want):
        return f"a Change matching {getattr(want, '__name__', 'the predicate')}"
    return f"Change(value={show(want)})"


def _history(seen: Sequence[Change], since: int) -> str:
    new = [show(c.value) for c in seen[since:]]
    if not new:
        return "nothing"
    if len(new) > 12:
        new = [*new[:4], f"… {len(new) - 10} more …", *new[-6:]]
    return ", ".join(new)


async def next_value(
    changes: AsyncIterator[Change],
    want: Want,
    *,
    timeout: float = 5.0,
    allowed: Allowed = None,
    seen: list[Change] | None = None,
    source: str = "the watcher",
) -> Change:
    """Read ``changes`` until ``want`` arrives; fail clearly after ``timeout`` seconds.

    ``want`` is an exact value (``None`` waits for a delete) or a predicate.
    With ``allowed``, any other value seen first fails at once (``allowed=()``
    demands that the very next Change is the wanted one). Every item read is
    appended to ``seen``; the failure message lists what was seen.
    """
    __tracebackhide__ = True
    history = [] if seen is None else seen
    start = len(history)
    matches = want if callable(want) else (lambda change: change.value == want)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        outcome = f"waiting for {_describe_want(want)} from {source}"
        try:
            async with asyncio.timeout_at(deadline):
                change = _check_item(await anext(changes))
        except TimeoutError:
            seen_text = _history(history, start)
            pytest.fail(f"{outcome}: nothing matched within {timeout:g}s; saw {seen_text}")
        except StopAsyncIteration:
            seen_text = _history(history, start)
            pytest.fail(f"{outcome}: changes() ended; saw {seen_text}")
        history.append(change)
        if matches(change):
            return change
        if allowed is not None and change.value not in allowed:
            seen_text = _history(history, start)
            pytest.fail(
                f"{outcome}: got the unexpected value {show(change.value)}; saw {seen_text}"
            )


class Watch:
    """One watcher opened through ``open_watcher(uri)``, its ``changes()`` and what it yielded."""

    def __init__(self, uri: str, *, close_timeout: float = 5.0) -> None:
        self.uri = uri
        self.close_timeout = close_timeout
        self.watcher: Watcher = open_watcher(uri)
        self.changes: AsyncIterator[Change] = self.watcher.changes()
        self.seen: list[Change] = []

    async def until(self, want: Want, timeout: float, *, allowed: Allowed = None) -> Change:
        """Wait for ``want`` (see :func:`next_value`)."""
        __tracebackhide__ = True
        return await next_value(
            self.changes,
            want,
            timeout=timeout,
            allowed=allowed,
            seen=self.seen,
            source=redact(self.uri),
        )

    async def aclose(self) -> None:
        """Close the watcher, then its iterator; fail if either hangs."""
        __tracebackhide__ = True
        await _bounded(self.watcher.aclose(), self.close_timeout, "watcher.aclose()")
        closer = getattr(self.changes, "aclose", None)
        if callable(closer):
            await _bounded(closer(), self.close_timeout, "changes().aclose()")


async def _bounded(awaitable: Awaitable[T], timeout: float, what: str) -> T:
    __tracebackhide__ = True
    try:
        async with asyncio.timeout(timeout):
            return await awaitable
    except TimeoutError:
        pytest.fail(f"{what} did not finish within {timeout:g}s", pytrace=False)


class _LoopMonitor:
    """Measures how long the event loop went without running its callbacks.

    Samples overlapping a :meth:`paused` section (the test's own calls into
    the source, which may use a blocking client) are discarded.
    """

    interval = 0.02

    def __init__(self) -> None:
        self.worst = 0.0
        self._epoch = 0
        self._paused = 0
        self._task: asyncio.Task[None] | None = None
        self._sampling = asyncio.Event()
        self._stopping = False

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="loop-monitor")
        await self._sampling.wait()  # so that the very first step of the watcher is measured

    async def stop(self) -> None:
        # Let the current sample finish: it is the one that saw a stall just before now.
        self._stopping = True
        if self._task is not None:
            await self._task

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        self._paused += 1
        self._epoch += 1
        try:
            yield
        finally:
            self._paused -= 1
            self._epoch += 1

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            epoch, before = self._epoch, loop.time()
            self._sampling.set()
            await asyncio.sleep(self.interval)  # the measurement itself, not synchronisation
            late = loop.time() - before - self.interval
            if not self._paused and epoch == self._epoch:
                self.worst = max(self.worst, late)


def _secrets_in(uri: str) -> list[str]:
    """The credentials a URI carries (userinfo password or token, secret-looking options)."""
    secrets: list[str] = []
    try:
        parts = urlsplit(uri)
        if parts.password:
            secrets.append(parts.password)
        elif parts.username and "@" in parts.netloc:
            secrets.append(parts.username)  # a lone userinfo is often a token
        secrets += [v for k, v in parse_qsl(parts.query) if SECRET_OPTION.search(k)]
    except ValueError:
        match = re.search(r"//[^:/@]*:([^@/]*)@", uri)
        if match:
            secrets.append(match.group(1))
    # Very short strings would match by accident; a URI under test uses a real-looking secret.
    return [s for s in secrets if len(s) >= 4]


def _error_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _scrub(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


# -- the suite -----------------------------------------------------------------------------


class WatcherContract:
    """Checks a watcher against every point of the watcher contract (DESIGN §4).

    Subclass it in a class named ``Test…`` and provide the ``watcher_source``
    fixture (function scope; keep the server itself in a session-scoped
    fixture). Override :meth:`bad_uris`, and tune the class attributes below
    when your source is slow (say why in a comment).
    """

    #: Seconds for the first Change after opening a watcher.
    initial_timeout: ClassVar[float] = 5.0
    #: Seconds for a Change after a write or delete.
    change_timeout: ClassVar[float] = 5.0
    #: Seconds for the whole burst test (writes and delivery of the last value).
    burst_timeout: ClassVar[float] = 60.0
    #: Seconds, after the server is back, for the watcher to reach the latest value.
    restart_timeout: ClassVar[float] = 30.0
    #: Seconds for ``aclose()`` and for leftovers (threads, tasks, sockets) to go away.
    close_timeout: ClassVar[float] = 5.0
    #: Seconds for each call into the ``watcher_source`` (a server start can be slow).
    source_timeout: ClassVar[float] = 30.0
    #: Seconds for a bad URI to raise (some need a round trip, e.g. refused credentials).
    bad_uri_timeout: ClassVar[float] = 10.0
    #: Number of back-to-back writes in the burst test.
    burst_size: ClassVar[int] = 1000
    #: Number of changes, each awaited before the next, in the sequential test.
    sequential_changes: ClassVar[int] = 5
    #: Size of the random binary values (the contract asks for at least 1 MiB).
    large_value_size: ClassVar[int] = 1 << 20
    #: The non-ASCII part of the key in the non-ASCII key test.
    non_ascii_key: ClassVar[str] = "clé-配置-ключ"
    #: Longest stall of the event loop tolerated while a watcher runs (None: not checked).
    max_loop_block: ClassVar[float | None] = 1.0
    #: Also check that closing releases every inet socket (needs psutil).
    leak_check_sockets: ClassVar[bool] = True
    #: Regular expressions for thread names a client library keeps on purpose.
    leak_ignore_threads: ClassVar[Sequence[str]] = ()

    _monitor: _LoopMonitor | None = None

    # -- what a subclass provides ----------------------------------------------------------

    @pytest.fixture
    def watcher_source(self) -> WatcherSource:
        """Override this fixture: return the :class:`WatcherSource` for your real server."""
        pytest.fail(
            f"{type(self).__name__} must define a `watcher_source` fixture returning a "
            "flow.testing.watcher_contract.WatcherSource (see docs/testing.md)",
            pytrace=False,
        )

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        """URIs that must raise a :class:`~flow.SourceError` (override; empty = test skipped).

        Include an unknown option, a malformed address and, when the source
        has authentication, wrong credentials: their passwords must never
        appear in the error.
        """
        return ()

    # -- helpers for tests (also usable in a provider's extra tests) ------------------------

    def new_key(self, label: str) -> str:
        """A key no other test uses: ``flow-<label>-<random>``."""
        return f"flow-{label}-{uuid.uuid4().hex[:12]}"

    @contextlib.asynccontextmanager
    async def watch(self, source: WatcherSource, key: str) -> AsyncIterator[Watch]:
        """Open a watcher on ``key``; close it on exit, then check the loop was never blocked."""
        monitor = self._monitor = _LoopMonitor()
        with monitor.paused():  # building a watcher may import its client library
            watch = Watch(source.uri(key), close_timeout=self.close_timeout)
        await monitor.start()
        try:
            yield watch
        finally:
            try:
                await watch.aclose()
            finally:
                await monitor.stop()
                self._monitor = None
        self._check_loop(monitor)

    async def call(self, awaitable: Awaitable[T], what: str) -> T:
        """Await a call into the source with a deadline (and outside the loop-block check)."""
        __tracebackhide__ = True
        monitor = self._monitor
        with monitor.paused() if monitor is not None else contextlib.nullcontext():
            return await _bounded(awaitable, self.source_timeout, f"watcher_source.{what}")

    def leak_check(self) -> LeakCheck:
        """A :class:`LeakCheck` configured by this class's ``leak_*`` attributes."""
        return LeakCheck(
            tasks=True, sockets=self.leak_check_sockets, ignore_threads=self.leak_ignore_threads
        )

    def _check_loop(self, monitor: _LoopMonitor) -> None:
        __tracebackhide__ = True
        limit = self.max_loop_block
        if limit is not None and monitor.worst > limit:
            pytest.fail(
                f"the event loop was blocked for {monitor.worst:.2f}s while the watcher ran "
                f"(limit {limit:g}s): run blocking client calls in a thread and hand results "
                "back with loop.call_soon_threadsafe (contract point 5)",
                pytrace=False,
            )

    # -- 1. the first item is the current state, promptly -----------------------------------

    @pytest.mark.asyncio
    async def test_initial_value_is_delivered_first(self, watcher_source: WatcherSource) -> None:
        key = self.new_key("initial")
        await self.call(watcher_source.write(key, b"initial-value"), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(b"initial-value", self.initial_timeout, allowed=())

    @pytest.mark.asyncio
    async def test_missing_key_gives_none_then_the_value(
        self, watcher_source: WatcherSource
    ) -> None:
        key = self.new_key("missing")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(None, self.initial_timeout, allowed=())
            await self.call(watcher_source.write(key, b"created-later"), "write()")
            await watch.until(b"created-later", self.change_timeout, allowed={None})

    # -- 2. one item per change; deletes; bursts end on the latest value ---------------------

    @pytest.mark.asyncio
    async def test_each_sequential_change_is_seen(self, watcher_source: WatcherSource) -> None:
        key = self.new_key("sequential")
        previous = b"seq-start"
        await self.call(watcher_source.write(key, previous), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(previous, self.initial_timeout, allowed=())
            for i in range(self.sequential_changes):
                value = f"seq-{i}".encode()
                await self.call(watcher_source.write(key, value), "write()")
                await watch.until(value, self.change_timeout, allowed={previous})
                previous = value

    @pytest.mark.asyncio
    async def test_delete_gives_none_and_recreate_is_seen(
        self, watcher_source: WatcherSource
    ) -> None:
        key = self.new_key("delete")
        await self.call(watcher_source.write(key, b"to-be-deleted"), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(b"to-be-deleted", self.initial_timeout, allowed=())
            await self.call(watcher_source.delete(key), "delete()")
            await watch.until(None, self.change_timeout, allowed={b"to-be-deleted"})
            await self.call(watcher_source.write(key, b"recreated"), "write()")
            await watch.until(b"recreated", self.change_timeout, allowed={None})

    @pytest.mark.asyncio
    async def test_burst_ends_on_the_last_value(self, watcher_source: WatcherSource) -> None:
        key = self.new_key("burst")
        count = self.burst_size
        await self.call(watcher_source.write(key, b"burst-start"), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(b"burst-start", self.initial_timeout, allowed=())
            reached = -1

            def in_order_until_last(change: Change) -> bool:
                # Coalescing may skip values, but never go back to an older one.
                nonlocal reached
                index = _burst_index(change.value)
                if index is None or index < reached:
                    pytest.fail(
                        f"during the burst, got {show(change.value)} after burst-{reached:05d}: "
                        "a watcher must never deliver an older value after a newer one",
                        pytrace=False,
                    )
                reached = index
                return index == count - 1

            consumer = asyncio.create_task(watch.until(in_order_until_last, self.burst_timeout))
            try:
                for i in range(count):
                    if consumer.done():  # it already failed: show why without more writes
                        break
                    await self.call(watcher_source.write(key, b"burst-%05d" % i), "write()")
                await consumer
            finally:
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer

    # -- 3. a restart of the source never leaves the consumer on a stale value ---------------

    @pytest.mark.asyncio
    async def test_restart_ends_on_the_latest_value(self, watcher_source: WatcherSource) -> None:
        if not watcher_source.restartable:
            pytest.skip("this source cannot be restarted (watcher_source.restartable is False)")
        key = self.new_key("restart")
        await self.call(watcher_source.write(key, b"before-restart"), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(b"before-restart", self.initial_timeout, allowed=())
            await self.call(watcher_source.stop(), "stop()")
            try:
                if watcher_source.writes_while_down:
                    await self.call(watcher_source.write(key, b"latest"), "write() while down")
            finally:
                await self.call(watcher_source.start(), "start()")  # other tests need it
            if not watcher_source.writes_while_down:
                await self.call(watcher_source.write(key, b"latest"), "write() after start()")
            # None is tolerated: a server without persistence comes back empty.
            await watch.until(b"latest", self.restart_timeout, allowed={b"before-restart", None})
            await self.call(watcher_source.write(key, b"after-restart"), "write()")
            await watch.until(b"after-restart", self.change_timeout, allowed={b"latest"})

    # -- 4. permanent errors are SourceErrors without secrets ------------------------------

    @pytest.mark.asyncio
    async def test_bad_uris_raise_source_error_without_secrets(
        self, watcher_source: WatcherSource
    ) -> None:
        uris = list(self.bad_uris(watcher_source))
        if not uris:
            pytest.skip("no bad URIs listed: override bad_uris() in the WatcherContract subclass")
        problems = [
            f"{redact(uri)}: {problem}"
            for uri in uris
            if (problem := await self._bad_uri_problem(uri)) is not None
        ]
        if problems:
            pytest.fail("bad URIs not refused properly:\n  " + "\n  ".join(problems))

    async def _bad_uri_problem(self, uri: str) -> str | None:
        secrets = _secrets_in(uri)
        scheme = uri.partition(":")[0].lower()
        error: SourceError | None = None
        watcher: Watcher | None = None
        deadline: asyncio.Timeout | None = None
        try:
            watcher = open_watcher(uri)
            async with asyncio.timeout(self.bad_uri_timeout) as deadline:
                await anext(watcher.changes())
            return "accepted: open_watcher() succeeded and changes() delivered a Change"
        except SourceError as exc:
            error = exc
        except StopAsyncIteration:
            return "changes() ended without raising a SourceError"
        except TimeoutError:
            if deadline is not None and deadline.expired():
                return f"nothing raised within {self.bad_uri_timeout:g}s (it must not retry)"
            return "raised TimeoutError, not a flow.SourceError subclass"
        except Exception as exc:
            text = _scrub(f"{type(exc).__name__}: {exc}", secrets)
            return f"raised {text} — not a flow.SourceError subclass"
        finally:
            if watcher is not None:
                with contextlib.suppress(Exception):
                    await _bounded(watcher.aclose(), self.close_timeout, "aclose()")
        for link in _error_chain(error):
            text = f"{link!s} {link!r}"
            if any(secret in text for secret in secrets):
                return (
                    f"the credentials appear in the error chain ({type(link).__name__}): "
                    "redact them (flow.live.uri.redact / SourceURI.redacted)"
                )
        if scheme and scheme not in str(error).lower():
            return f"the message does not name the source: {str(error)!r}"
        return None

    # -- 5. closing ends the iterator and releases everything -------------------------------

    @pytest.mark.asyncio
    async def test_close_while_waiting_ends_iterator_and_leaks_nothing(
        self, watcher_source: WatcherSource
    ) -> None:
        key = self.new_key("close")
        await self.call(watcher_source.write(key, b"before-close"), "write()")
        check = self.leak_check()
        watch = Watch(watcher_source.uri(key), close_timeout=self.close_timeout)
        consumer: asyncio.Task[None] | None = None
        try:
            await watch.until(b"before-close", self.initial_timeout, allowed=())
            waiting = asyncio.Event()

            async def consume() -> None:
                waiting.set()
                async for change in watch.changes:
                    watch.seen.append(change)

            consumer = asyncio.create_task(consume(), name="contract-consumer")
            await waiting.wait()  # resumes once the consumer is suspended inside changes()
            await _bounded(watch.watcher.aclose(), self.close_timeout, "watcher.aclose()")
            done, _ = await asyncio.wait({consumer}, timeout=self.close_timeout)
            if not done:
                pytest.fail(
                    f"changes() did not end within {self.close_timeout:g}s of aclose() "
                    "while a consumer was waiting on it"
                )
            if (error := consumer.exception()) is not None:
                pytest.fail(
                    "after aclose(), a waiting consumer's `async for` must end normally, but "
                    f"changes() raised {type(error).__name__}: {error}"
                )
        finally:
            if consumer is not None and not consumer.done():
                consumer.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await consumer
            await watch.aclose()
        await check.assert_clean(timeout=self.close_timeout)

    @pytest.mark.asyncio
    async def test_close_before_first_value_is_clean(self, watcher_source: WatcherSource) -> None:
        key = self.new_key("early-close")
        await self.call(watcher_source.write(key, b"never-read"), "write()")
        check = self.leak_check()
        watch = Watch(watcher_source.uri(key), close_timeout=self.close_timeout)
        await _bounded(watch.watcher.aclose(), self.close_timeout, "watcher.aclose()")
        await _bounded(watch.watcher.aclose(), self.close_timeout, "a second watcher.aclose()")

        async def drain() -> None:
            async for _ in watch.changes:
                pass

        await _bounded(drain(), self.close_timeout, "iterating changes() after aclose()")
        await watch.aclose()
        await check.assert_clean(timeout=self.close_timeout)

    # -- 6. binary-safe large values and non-ASCII keys -------------------------------------

    @pytest.mark.asyncio
    async def test_large_binary_values_round_trip_exactly(
        self, watcher_source: WatcherSource
    ) -> None:
        key = self.new_key("large")
        first, second = os.urandom(self.large_value_size), os.urandom(self.large_value_size)
        await self.call(watcher_source.write(key, first), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until(first, self.initial_timeout, allowed=())
            await self.call(watcher_source.write(key, second), "write()")
            await watch.until(second, self.change_timeout, allowed={first})

    @pytest.mark.asyncio
    async def test_non_ascii_key_works(self, watcher_source: WatcherSource) -> None:
        key = f"{self.non_ascii_key}-{uuid.uuid4().hex[:12]}"
        await self.call(watcher_source.write(key, "première".encode()), "write()")
        async with self.watch(watcher_source, key) as watch:
            await watch.until("première".encode(), self.initial_timeout, allowed=())
            await self.call(watcher_source.write(key, "二番目".encode()), "write()")
            await watch.until("二番目".encode(), self.change_timeout, allowed={"première".encode()})


def _burst_index(value: bytes | None) -> int | None:
    if value == b"burst-start":
        return -1
    if value is None or not value.startswith(b"burst-"):
        return None
    try:
        return int(value[6:])
    except ValueError:
        return None
