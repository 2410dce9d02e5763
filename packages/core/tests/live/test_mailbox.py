"""``LatestMailbox``: one slot, latest wins, end and failure, hand-over from threads."""

from __future__ import annotations

import asyncio
import threading

import pytest
from flow.live.change import Change
from flow.live.mailbox import LatestMailbox, hand_over


async def test_keeps_only_the_latest() -> None:
    box: LatestMailbox[Change] = LatestMailbox()
    for i in range(5):
        box.put(Change(b"%d" % i))
    assert await box.get() == Change(b"4")
    box.put(Change(None))
    box.end()
    assert await box.get() == Change(None)  # what was left before the end
    assert await box.get() is None
    assert box.ended


async def test_wakes_a_waiting_reader() -> None:
    box: LatestMailbox[Change] = LatestMailbox()
    reader = asyncio.create_task(box.get())
    await asyncio.sleep(0)  # let the reader park on its future (not synchronisation)
    box.put(Change(b"x"))
    assert await asyncio.wait_for(reader, 1.0) == Change(b"x")
    reader = asyncio.create_task(box.get())
    await asyncio.sleep(0)
    box.end()
    assert await asyncio.wait_for(reader, 1.0) is None


async def test_a_failure_is_raised_after_the_waiting_item_and_only_the_first_is_kept() -> None:
    box: LatestMailbox[Change] = LatestMailbox()
    box.put(Change(b"last"))
    box.fail(ConnectionError("first"))
    box.fail(ConnectionError("an echo"))
    assert await box.get() == Change(b"last")
    with pytest.raises(ConnectionError, match="first"):
        await box.get()
    with pytest.raises(ConnectionError, match="first"):
        await box.get()  # the failure stays: the mailbox is done


async def test_end_wins_over_a_failure() -> None:
    box: LatestMailbox[int] = LatestMailbox()
    box.fail(ConnectionError("lost"))
    box.end()
    assert await box.get() is None


async def test_threads_hand_over_through_the_loop() -> None:
    box: LatestMailbox[int] = LatestMailbox(asyncio.get_running_loop())
    reader = asyncio.create_task(box.get())

    def produce() -> None:
        assert threading.current_thread() is not threading.main_thread()
        box.put_threadsafe(7)

    thread = threading.Thread(target=produce)
    thread.start()
    try:
        assert await asyncio.wait_for(reader, 5.0) == 7
    finally:
        thread.join()
    failer = threading.Thread(target=box.fail_threadsafe, args=(TimeoutError("x"),))
    failer.start()
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(box.get(), 5.0)
    finally:
        failer.join()


async def test_threadsafe_calls_need_the_loop() -> None:
    box: LatestMailbox[int] = LatestMailbox()
    with pytest.raises(RuntimeError, match="give the event loop"):
        box.put_threadsafe(1)


def test_hand_over_to_a_closed_loop_is_refused_quietly() -> None:
    loop = asyncio.new_event_loop()
    loop.close()
    called: list[int] = []
    assert hand_over(loop, called.append, 1) is False
    box: LatestMailbox[int] = LatestMailbox(loop)
    assert box.put_threadsafe(1) is False
    assert called == []
