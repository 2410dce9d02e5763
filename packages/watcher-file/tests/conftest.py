"""Fixtures for the file watcher tests: watchers read with deadlines, and leak checks."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from flow.live.change import Change
from flow.testing import LeakCheck
from flow_watcher_file.watcher import FileWatcher

# Generous: a loaded CI machine can be slow, and every wait ends as soon as the item arrives.
DEADLINE = 10.0


class Reading:
    """One ``changes()`` iteration of a watcher, read with deadlines (never bare sleeps)."""

    def __init__(self, watcher: FileWatcher) -> None:
        self.watcher = watcher
        self.iterator = watcher.changes().__aiter__()
        self.seen: list[Change] = []

    async def next(self, timeout: float = DEADLINE) -> Change:
        """The next item; fails the test when none arrives within ``timeout``."""
        try:
            change = await asyncio.wait_for(self.iterator.__anext__(), timeout)
        except TimeoutError:
            pytest.fail(f"no change from {self.watcher!r} within {timeout}s; seen {self.values}")
        self.seen.append(change)
        return change

    async def until(self, value: bytes | None, timeout: float = DEADLINE) -> list[Change]:
        """Items up to and including the first whose value is ``value``."""
        deadline = time.monotonic() + timeout
        start = len(self.seen)
        while True:
            change = await self.next(max(0.0, deadline - time.monotonic()))
            if change.value == value:
                return self.seen[start:]

    @property
    def values(self) -> list[bytes | None]:
        return [c.value for c in self.seen]

    async def close(self) -> None:
        await self.watcher.aclose()
        await self.iterator.aclose()  # type: ignore[attr-defined]


Open = Callable[..., Awaitable[Reading]]


@pytest.fixture
async def leak_check() -> AsyncIterator[LeakCheck]:
    """Fails the test if it leaves observer threads or tasks behind."""
    # Threads only: pytest-asyncio runs this finalizer as a task of its own.
    check = LeakCheck(tasks=False)
    yield check
    await check.assert_clean(timeout=5.0)


@pytest.fixture
async def open_reading(leak_check: LeakCheck) -> AsyncIterator[Open]:
    """``await open_reading(path_or_uri, **kwargs)``: a started reading, closed after the test."""
    readings: list[Reading] = []

    async def opener(target: str | os.PathLike[str], **kwargs: float) -> Reading:
        uri = target if isinstance(target, str) else f"file://{Path(target)}"
        reading = Reading(FileWatcher(uri, **kwargs))
        readings.append(reading)
        return reading

    yield opener
    for reading in readings:
        await reading.close()
