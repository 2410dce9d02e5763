"""Linux: inotify is read on the event loop (no thread), one descriptor per loop, closed with it."""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from flow_watcher_file import _inotify
from flow_watcher_file.watcher import FileWatcher

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="inotify on the event loop is Linux only"
)


def replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def inotify_fds() -> list[int]:
    """This process's open inotify descriptors."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:inotify":
                found.append(int(name))
        except FileNotFoundError:
            pass  # the descriptor listdir itself used
    return found


def max_queued_events() -> int:
    with open("/proc/sys/fs/inotify/max_queued_events") as handle:
        return int(handle.read())


def test_available_on_linux() -> None:
    assert _inotify.AVAILABLE


async def test_no_thread_and_one_shared_descriptor(tmp_path: Path, open_reading: Any) -> None:
    threads, descriptors = set(threading.enumerate()), inotify_fds()
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    readings = [
        await open_reading(tmp_path / "one" / "a.yaml"),
        await open_reading(tmp_path / "one" / "b.yaml"),
        await open_reading(tmp_path / "two" / "c.yaml"),
    ]
    for reading in readings:
        assert (await reading.next()).value is None
    replace(tmp_path / "one" / "a.yaml", b"seen")
    assert (await readings[0].next()).value == b"seen"
    assert set(threading.enumerate()) == threads, "a thread was started"
    opened = [fd for fd in inotify_fds() if fd not in descriptors]
    assert len(opened) == 1, "the watchers of one loop share one inotify descriptor"
    fd = _inotify.loop_hub().fd
    assert opened == [fd]
    # Never blocks the loop, never leaks into child processes.
    assert not os.get_blocking(fd)
    assert not os.get_inheritable(fd)

    await readings[0].close()
    await readings[2].close()
    assert inotify_fds().count(fd) == 1  # b still needs it
    replace(tmp_path / "one" / "b.yaml", b"still watched")
    assert (await readings[1].next()).value == b"still watched"
    await readings[1].close()
    # Off the loop and closed, at once (no deadline: aclose() did it).
    assert not asyncio.get_running_loop().remove_reader(fd)
    assert sorted(inotify_fds()) == sorted(descriptors)
    assert _inotify.loop_hub().fd == -1


async def test_abandoning_the_iterator_closes_the_descriptor(tmp_path: Path) -> None:
    descriptors = inotify_fds()
    watcher = FileWatcher(f"file://{tmp_path}/a.yaml")
    iterator = watcher.changes()
    assert (await anext(iterator)).value is None
    fd = _inotify.loop_hub().fd
    assert fd in inotify_fds()
    await iterator.aclose()  # type: ignore[attr-defined]
    assert not asyncio.get_running_loop().remove_reader(fd)
    assert sorted(inotify_fds()) == sorted(descriptors)
    await watcher.aclose()


async def test_a_queue_overflow_triggers_a_re_read(tmp_path: Path, open_reading: Any) -> None:
    """Events lost to an overflow are made up for at once, not at the next safety rescan."""
    limit = max_queued_events()
    if limit > 200_000:
        pytest.skip(f"fs.inotify.max_queued_events={limit}: too many events to overflow quickly")
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    others = [tmp_path / "a", tmp_path / "b"]
    for other in others:
        other.write_bytes(b"")
    reading = await open_reading(target, rescan_interval=3600.0)
    assert (await reading.next()).value == b"v1"
    # Without an await, the loop reads nothing meanwhile: the kernel queue fills.
    # Alternating names, because identical consecutive events are merged.
    for i in range(limit + 10):
        os.utime(others[i % 2])
    replace(target, b"v2")  # its events are dropped: the queue is full
    assert (await reading.next()).value == b"v2"


async def test_the_watched_directory_renamed_away_is_noticed_at_once(
    tmp_path: Path, open_reading: Any
) -> None:
    """IN_MOVE_SELF: no waiting for the safety rescan (an hour here)."""
    folder = tmp_path / "conf.d"
    folder.mkdir()
    replace(folder / "config.yaml", b"v1")
    reading = await open_reading(folder / "config.yaml", rescan_interval=3600.0)
    assert (await reading.next()).value == b"v1"
    folder.rename(tmp_path / "conf.old")
    assert (await reading.next()).value is None
    folder.mkdir()
    replace(folder / "config.yaml", b"v2")
    assert (await reading.next()).value == b"v2"
    replace(folder / "config.yaml", b"v3")
    assert (await reading.next()).value == b"v3"


async def test_each_event_loop_has_its_own_descriptor(tmp_path: Path) -> None:
    """A watcher in another thread's loop reads its own inotify descriptor, not this loop's."""
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    watcher = FileWatcher(f"file://{target}")
    here = watcher.changes()
    assert (await anext(here)).value == b"v1"
    mine = _inotify.loop_hub().fd
    loop = asyncio.get_running_loop()
    started = asyncio.Event()
    result: list[tuple[bytes | None, int]] = []

    async def elsewhere() -> None:
        other = FileWatcher(f"file://{target}")
        changes = other.changes()
        try:
            assert (await asyncio.wait_for(anext(changes), 10)).value == b"v1"
            theirs = _inotify.loop_hub().fd
            loop.call_soon_threadsafe(started.set)
            result.append(((await asyncio.wait_for(anext(changes), 10)).value, theirs))
        finally:
            await other.aclose()
            await changes.aclose()  # type: ignore[attr-defined]

    thread = threading.Thread(target=asyncio.run, args=(elsewhere(),))
    thread.start()
    try:
        await asyncio.wait_for(started.wait(), 10)
        replace(target, b"v2")
        assert (await asyncio.wait_for(anext(here), 10)).value == b"v2"
    finally:
        await asyncio.to_thread(thread.join, 15)
        await watcher.aclose()
        await here.aclose()  # type: ignore[attr-defined]
    assert result, "the other loop's watcher saw nothing"
    value, theirs = result[0]
    assert value == b"v2"
    assert theirs not in (-1, mine)
