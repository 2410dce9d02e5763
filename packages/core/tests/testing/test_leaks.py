"""LeakCheck catches a deliberately leaked thread, task and socket, and names them."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest
from flow.testing import LeakCheck


async def test_a_leaked_task_is_named() -> None:
    check = LeakCheck()
    stop = asyncio.Event()
    task = asyncio.create_task(stop.wait(), name="forgotten-refresher")
    try:
        with pytest.raises(AssertionError, match=r"task 'forgotten-refresher' \(Event\.wait"):
            await check.assert_clean(timeout=0.1)
    finally:
        stop.set()
        await task
    await check.assert_clean(timeout=0.1)


async def test_a_task_that_ends_in_time_is_not_a_leak() -> None:
    check = LeakCheck()
    stop = asyncio.Event()
    task = asyncio.create_task(stop.wait())
    asyncio.get_running_loop().call_later(0.05, stop.set)
    await check.assert_clean(timeout=2.0)  # polls until the task is done
    assert task.done()


def test_a_leaked_thread_is_named_with_its_target() -> None:
    check = LeakCheck()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="forgotten-poller", daemon=True)
    thread.start()
    try:
        with pytest.raises(AssertionError) as info:
            check.assert_clean_sync(timeout=0.1)
        assert "thread 'forgotten-poller' (daemon running Event.wait)" in str(info.value)
    finally:
        stop.set()
        thread.join(5)
    check.assert_clean_sync(timeout=1.0)


async def test_threads_started_before_the_check_are_not_leaks() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="already-there", daemon=True)
    thread.start()
    try:
        check = LeakCheck()
        await check.assert_clean(timeout=0.1)
    finally:
        stop.set()
        thread.join(5)


async def test_ignored_threads_and_the_loop_executor_are_not_leaks() -> None:
    check = LeakCheck(ignore_threads=[r"client-keepalive-\d+"])
    await asyncio.to_thread(lambda: None)  # leaves an idle asyncio_N executor worker
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, name="client-keepalive-1", daemon=True)
    thread.start()
    try:
        await check.assert_clean(timeout=0.1)
    finally:
        stop.set()
        thread.join(5)


async def test_a_leaked_socket_is_named() -> None:
    check = LeakCheck(sockets=True)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    try:
        with pytest.raises(AssertionError, match=rf"socket fd \d+ 127\.0\.0\.1:{port} -> -"):
            await check.assert_clean(timeout=0.1)
    finally:
        listener.close()
    await check.assert_clean(timeout=1.0)


async def test_the_async_context_manager_checks_on_exit() -> None:
    stop = asyncio.Event()
    with pytest.raises(AssertionError, match="left-behind"):
        async with LeakCheck(timeout=0.1):
            task = asyncio.create_task(stop.wait(), name="left-behind")
    stop.set()
    await task


def test_the_context_manager_lets_the_body_error_through() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)

    def leak_then_fail() -> None:
        with LeakCheck():
            thread.start()
            raise KeyError("the real problem")

    try:
        with pytest.raises(KeyError, match="the real problem"):
            leak_then_fail()
    finally:
        stop.set()
        thread.join(5)


def test_tasks_need_a_running_loop() -> None:
    with pytest.raises(RuntimeError, match="inside a running event loop"):
        LeakCheck(tasks=True)
    assert LeakCheck().leaks().tasks == ()  # outside a loop, tasks are simply not tracked
