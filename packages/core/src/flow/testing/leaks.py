"""``LeakCheck``: did the code under test leave threads, tasks or sockets behind?

Take a snapshot before, run the code, then assert that nothing new is still
alive. Leftovers are polled for with a deadline (closing is often finished by
a thread or a callback a moment later), and the failure names each one::

    check = LeakCheck()                 # in a coroutine: tasks of the running loop too
    watcher = open_watcher(uri)
    ...
    await watcher.aclose()
    await check.assert_clean(timeout=2.0)

or ``async with LeakCheck():`` / ``with LeakCheck():`` around the code.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

__all__ = ["DEFAULT_IGNORED_THREADS", "LeakCheck", "Leaks"]

#: Threads that belong to the event loop, not to the code under test: the
#: loop's default executor (``asyncio_0``…, used by ``getaddrinfo`` and
#: ``asyncio.to_thread``) keeps its idle workers until the loop closes.
DEFAULT_IGNORED_THREADS: tuple[str, ...] = (r"asyncio_\d+",)


@dataclass(frozen=True, slots=True)
class Leaks:
    """What is alive now that was not when the check started."""

    threads: tuple[threading.Thread, ...] = ()
    tasks: tuple[asyncio.Task[Any], ...] = ()
    sockets: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.threads or self.tasks or self.sockets)

    def describe(self) -> str:
        """One line per leftover: threads by name and target, tasks by name and coroutine."""
        lines = [f"thread {_thread_text(t)}" for t in self.threads]
        lines += [f"task {_task_text(t)}" for t in self.tasks]
        lines += [f"socket {s}" for s in self.sockets]
        return "\n".join(f"  - {line}" for line in lines)


class LeakCheck:
    """Snapshot of live threads, asyncio tasks and (optionally) TCP/UDP sockets.

    ``tasks`` defaults to "yes when created inside a running event loop".
    ``sockets=True`` also tracks this process's inet sockets (needs psutil,
    part of ``flow-core[testing]``). ``ignore_threads`` are regular
    expressions matched against thread names (added to
    :data:`DEFAULT_IGNORED_THREADS`), for threads a library keeps on purpose.
    ``timeout`` is how long the context managers wait for leftovers to end.
    """

    def __init__(
        self,
        *,
        tasks: bool | None = None,
        sockets: bool = False,
        ignore_threads: Iterable[str] = (),
        timeout: float = 2.0,
    ) -> None:
        self.timeout = timeout
        self._ignore = [re.compile(p) for p in (*DEFAULT_IGNORED_THREADS, *ignore_threads)]
        self._threads = set(threading.enumerate())
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        loop = _running_loop()
        if tasks is None:
            tasks = loop is not None
        if tasks:
            if loop is None:
                raise RuntimeError(
                    "LeakCheck(tasks=True) must be created inside a running event loop "
                    "(in an async test or fixture)"
                )
            self._loop = loop
            self._tasks = asyncio.all_tasks(loop)
        self._sockets: dict[str, str] | None = _inet_sockets() if sockets else None

    def leaks(self) -> Leaks:
        """What is alive now that was not at the snapshot (ignored threads left out)."""
        threads = tuple(
            t
            for t in threading.enumerate()
            if t not in self._threads
            and t.is_alive()
            and not any(p.fullmatch(t.name) for p in self._ignore)
        )
        tasks: tuple[asyncio.Task[Any], ...] = ()
        if self._loop is not None:
            tasks = tuple(
                t for t in asyncio.all_tasks(self._loop) if t not in self._tasks and not t.done()
            )
        sockets: tuple[str, ...] = ()
        if self._sockets is not None:
            now = _inet_sockets()
            sockets = tuple(sorted(now[k] for k in now.keys() - self._sockets.keys()))
        return Leaks(threads, tasks, sockets)

    async def assert_clean(self, timeout: float = 2.0) -> None:
        """Wait up to ``timeout`` for leftovers to end; then fail naming each one.

        Polls without blocking the event loop, so the loop can run the
        callbacks that finish closing.
        """
        deadline = time.monotonic() + timeout
        interval = 0.005
        while leaks := self.leaks():
            if time.monotonic() >= deadline:
                self._fail(leaks, timeout)
            await asyncio.sleep(interval)  # a poll interval, bounded by the deadline
            interval = min(interval * 2, 0.05)

    def assert_clean_sync(self, timeout: float = 2.0) -> None:
        """Like :meth:`assert_clean`, for synchronous code (tasks are not waited for here)."""
        deadline = time.monotonic() + timeout
        interval = 0.005
        while leaks := self.leaks():
            if time.monotonic() >= deadline:
                self._fail(leaks, timeout)
            time.sleep(interval)  # a poll interval, bounded by the deadline
            interval = min(interval * 2, 0.05)

    def _fail(self, leaks: Leaks, timeout: float) -> None:
        __tracebackhide__ = True
        raise AssertionError(
            f"still alive {timeout:g}s after the code under test finished "
            f"(it must stop what it starts):\n{leaks.describe()}"
        )

    # -- context managers ----------------------------------------------------------------

    def __enter__(self) -> LeakCheck:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:  # a failing body's own error matters more than its leftovers
            self.assert_clean_sync(self.timeout)

    async def __aenter__(self) -> LeakCheck:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.assert_clean(self.timeout)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _inet_sockets() -> dict[str, str]:
    """This process's inet sockets: identity (fd and addresses) -> description."""
    try:
        # Imported by name: psutil ships no type stubs, and only this option needs it.
        psutil = importlib.import_module("psutil")
    except ImportError as exc:  # pragma: no cover - psutil is in flow-core[testing]
        raise RuntimeError(
            "LeakCheck(sockets=True) needs psutil: `pip install 'flow-core[testing]'`"
        ) from exc
    found: dict[str, str] = {}
    for conn in psutil.Process().net_connections(kind="inet"):
        local = f"{conn.laddr.ip}:{conn.laddr.port}" if conn.laddr else "?"
        remote = f"{conn.raddr.ip}:{conn.raddr.port}" if conn.raddr else "-"
        key = f"fd {conn.fd} {local} -> {remote}"
        found[key] = f"{key} ({conn.status})"
    return found


def _thread_text(thread: threading.Thread) -> str:
    target = getattr(thread, "_target", None)
    where = f" running {getattr(target, '__qualname__', target)!s}" if target else ""
    kind = "daemon" if thread.daemon else "non-daemon"
    return f"{thread.name!r} ({kind}{where})"


def _task_text(task: asyncio.Task[Any]) -> str:
    coro = task.get_coro()
    name = getattr(coro, "__qualname__", repr(coro))
    frames = task.get_stack(limit=1)
    where = f" at {frames[0].f_code.co_filename}:{frames[0].f_lineno}" if frames else ""
    return f"{task.get_name()!r} ({name}{where})"
