"""Fixtures for the pipeline tests: deterministic clocks and a bounded wait helper."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Protocol

import pytest
from flow.clock import FakeClock


class AutoClock(FakeClock):
    """A FakeClock whose ``sleep`` records the seconds and moves time on at once."""

    def __init__(self) -> None:
        super().__init__()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(max(0.0, seconds))
        await asyncio.sleep(0)


class Until(Protocol):
    async def __call__(self, condition: Callable[[], bool], what: str = ...) -> None: ...


@pytest.fixture
def auto_clock() -> AutoClock:
    return AutoClock()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def until() -> Until:
    """Poll ``condition`` on every loop turn, failing after 2 s of real time."""

    async def wait(condition: Callable[[], bool], what: str = "condition") -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 2.0
        while not condition():
            if loop.time() > deadline:
                pytest.fail(f"timed out waiting for {what}")
            await asyncio.sleep(0)

    return wait


@pytest.fixture
def leftover_tasks() -> Callable[[], set[asyncio.Task[object]]]:
    """A function listing the unfinished tasks other than the running test."""

    def tasks() -> set[asyncio.Task[object]]:
        current = asyncio.current_task()
        return {t for t in asyncio.all_tasks() if t is not current and not t.done()}

    return tasks
