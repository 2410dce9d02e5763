"""One thread per home read or store run, so blocking database calls never block the loop.

A DB-API connection is used from one thread at a time, and sqlite3 insists
it is always the same thread: each read or store run gets its own
one-thread executor, and every call on its connection goes through it.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

__all__ = ["Worker"]

T = TypeVar("T")


class Worker:
    """A single worker thread; ``await worker.run(fn, *args)`` calls ``fn`` there."""

    def __init__(self, name: str) -> None:
        self._executor: ThreadPoolExecutor | None = ThreadPoolExecutor(1, thread_name_prefix=name)

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """The result of ``fn(*args, **kwargs)`` called in the worker thread."""
        if self._executor is None:
            raise RuntimeError("the worker was closed")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    async def close(self) -> None:
        """Wait for the call in progress, then end the thread (idempotent)."""
        executor, self._executor = self._executor, None
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, wait=True)
