"""``flow.live.reconnect``: CloseSignal, OutageLog and the Reconnector loop.

The sessions here are scripted in memory (the helpers talk to no server
themselves); each provider's own tests drive them against its real server.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from flow.errors import SourceAuthError, SourceError
from flow.live.change import Change
from flow.live.reconnect import CloseSignal, OutageLog, Reconnector, Reopen, describe_error
from flow.pipeline import backoff

LOGGER = "flow.test.reconnect"
QUICK = backoff(0.001, max_delay=0.002)


class Scripted:
    """A session that plays a script: a Change to return, an exception to raise, or ... to hang."""

    def __init__(self, script: list[object], log: list[str]) -> None:
        self.script = script
        self.log = log
        self.closed = asyncio.Event()

    async def open(self) -> None:
        self.log.append("open")
        await self._step()

    async def next(self) -> Change:
        item = await self._step()
        assert isinstance(item, Change)
        return item

    async def close(self) -> None:
        self.log.append("close")
        self.closed.set()

    async def _step(self) -> object:
        item = self.script.pop(0) if self.script else ...
        if item is ...:
            await self.closed.wait()
            raise ConnectionError("closed under a pending read")
        if isinstance(item, BaseException):
            raise item
        return item


def sessions(*scripts: list[object]) -> tuple[list[str], list[Scripted], Callable[[], Scripted]]:
    log: list[str] = []
    made: list[Scripted] = []
    queue = list(scripts)

    def new() -> Scripted:
        session = Scripted(queue.pop(0) if queue else [], log)
        made.append(session)
        return session

    return log, made, new


def reconnector() -> Reconnector[Scripted]:
    def sort(exc: BaseException) -> SourceError | None:
        if isinstance(exc, PermissionError):
            return SourceAuthError("src: refused; give the right password")
        return None

    return Reconnector(QUICK, classify=sort, outages=OutageLog(logging.getLogger(LOGGER), "src"))


async def take(changes: AsyncIterator[Change], n: int) -> list[bytes | None]:
    out = []
    async with asyncio.timeout(5):
        for _ in range(n):
            out.append((await anext(changes)).value)
    return out


async def test_yields_only_values_that_differ_across_reconnects() -> None:
    log, made, new = sessions(
        [None, Change(b"a"), Change(b"a"), Change(b"b"), ConnectionError("lost")],
        [None, Change(b"b"), Change(b"c")],  # re-read after the outage: b again, not yielded
    )
    watcher = reconnector()
    changes = watcher.changes(new)
    assert await take(changes, 3) == [b"a", b"b", b"c"]
    await watcher.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(anext(changes), 5)
    assert log.count("open") == 2
    assert all(s.closed.is_set() for s in made)


async def test_failed_opens_are_retried_and_logged_once_as_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    down: list[object] = [ConnectionRefusedError("refused")]
    _log, _made, new = sessions(down, list(down), list(down), [None, Change(b"up")])
    watcher = reconnector()
    caplog.set_level(logging.DEBUG, LOGGER)
    changes = watcher.changes(new)
    assert await take(changes, 1) == [b"up"]
    levels = [r.levelno for r in caplog.records]
    assert levels == [logging.WARNING, logging.DEBUG, logging.DEBUG, logging.INFO]
    assert caplog.records[0].getMessage() == (
        "src: connection lost (ConnectionRefusedError: refused); reconnecting"
    )
    assert caplog.records[-1].getMessage() == "src: reconnected"
    await watcher.aclose()
    await changes.aclose()  # type: ignore[attr-defined]


async def test_reopen_replaces_the_session_at_once_without_logging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A backoff long enough that a pause would show: Reopen must not pause.
    log, made, new = sessions([None, Change(b"a"), Reopen()], [None, Change(b"a"), Change(b"b")])
    slow = Reconnector(
        backoff(30.0), classify=lambda exc: None, outages=OutageLog(logging.getLogger(LOGGER), "s")
    )
    caplog.set_level(logging.DEBUG, LOGGER)
    changes = slow.changes(new)
    assert await take(changes, 2) == [b"a", b"b"]  # the re-read "a" is not repeated
    assert log == ["open", "close", "open"]
    assert made[0].closed.is_set()
    assert caplog.records == []
    await slow.aclose()
    await changes.aclose()  # type: ignore[attr-defined]


async def test_a_permanent_failure_is_raised_chained_to_its_cause() -> None:
    _log, made, new = sessions([PermissionError("WRONGPASS")])
    watcher = reconnector()
    with pytest.raises(SourceAuthError, match="refused") as raised:
        await anext(watcher.changes(new))
    assert isinstance(raised.value.__cause__, PermissionError)
    assert made[0].closed.is_set()


async def test_a_source_error_from_the_session_is_raised_as_it_is() -> None:
    error = SourceError("src: the key holds a list; store a string")
    _log, _made, new = sessions([None, error])
    with pytest.raises(SourceError) as raised:
        await anext(reconnector().changes(new))
    assert raised.value is error


async def test_aclose_ends_a_pending_read_and_a_pause() -> None:
    _log, made, new = sessions([None, Change(b"a")])  # then hangs in next()
    watcher = reconnector()
    changes = watcher.changes(new)
    assert await take(changes, 1) == [b"a"]
    pending = asyncio.ensure_future(anext(changes))
    await asyncio.sleep(0)  # let the read park (not synchronisation)
    await watcher.aclose()
    with pytest.raises(StopAsyncIteration):
        await asyncio.wait_for(pending, 5)
    assert made[0].closed.is_set()
    # A closed reconnector opens nothing.
    with pytest.raises(StopAsyncIteration):
        await anext(watcher.changes(new))
    assert len(made) == 1


async def test_close_signal_cuts_a_pause_short() -> None:
    signal = CloseSignal()
    loop = asyncio.get_running_loop()
    sleeper = asyncio.ensure_future(signal.pause(60))
    await asyncio.sleep(0)
    started = loop.time()
    signal.close()
    await asyncio.wait_for(sleeper, 5)
    assert loop.time() - started < 5
    assert signal.closed
    await asyncio.wait_for(signal.pause(60), 1)  # closed: returns at once


async def test_close_signal_pauses_for_the_time_asked() -> None:
    signal = CloseSignal()
    loop = asyncio.get_running_loop()
    started = loop.time()
    await signal.pause(0.05)
    assert loop.time() - started >= 0.04
    assert not signal.closed


def test_outage_log_words_and_reasons(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, LOGGER)
    log = OutageLog(
        logging.getLogger(LOGGER), "consul://h/k", lost="unreachable", retrying="retrying",
        back="reachable again", reason=lambda exc: "short",
    )  # fmt: skip
    log.recovered()  # nothing was failing: silent
    log.failed(OSError("x"))
    assert log.failing
    log.recovered()
    assert not log.failing
    assert [r.getMessage() for r in caplog.records] == [
        "consul://h/k: unreachable (short); retrying",
        "consul://h/k: reachable again",
    ]
    assert describe_error(TimeoutError()) == "TimeoutError"
    assert describe_error(OSError("refused")) == "OSError: refused"
