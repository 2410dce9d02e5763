"""File change latency: raw watchdog events against Flow's FileWatcher and Capacitor.

Each sample is one write of new bytes to the same file and the time until
* raw watchdog: the observer thread calls a handler for that file (the baseline);
* ``FileWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

On Linux the watcher reads inotify on the event loop; the Capacitor is also
measured on the observer-thread fallback (what ``?poll=1``-less watchers use
on other platforms, with their native observer), for comparison.

Writes come from a separate writer process (as in real use: an editor, kubelet, a
deploy tool), which notes ``perf_counter()`` (system-wide CLOCK_MONOTONIC) before
each write; ``--same-thread`` writes on the benchmark's own thread instead, which
stalls the event loop for the length of the write.

Two ways of writing: a rename-save (temp file + ``os.replace``, what editors
and config tools do; one rename event) and an in-place ``pwrite`` of the same
size (one modify event). A last row compares reading a small file on the event
loop with ``asyncio.to_thread`` (why the watcher reads on the loop).

Run: ``uv run python -m benchmarks.file_latency`` (or ``python benchmarks/file_latency.py``);
``--samples N`` (default 1000); ``--profile`` prints a pyinstrument profile of
the FileWatcher phase (``uv run --group bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pydantic
from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow_watcher_file import _inotify
from flow_watcher_file.watcher import FileWatcher

from benchmarks.harness import Row, micro, percentile, profiled, report

WARMUP = 50
# Pause after each delivery, the same in every phase, so each write meets an idle
# observer (config writes are isolated events; back-to-back storms are another benchmark).
GAP = 0.002
WRITES: dict[str, Callable[[Path], contextlib.AbstractContextManager[Callable[[int], None]]]] = {}


class Put(Protocol):
    """Starts write ``i``; :meth:`started` is when it began (``perf_counter``, system-wide)."""

    def __call__(self, i: int) -> None: ...

    def started(self) -> float: ...


Writer = Callable[[Path], contextlib.AbstractContextManager[Put]]


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    """Valid JSON for :class:`Setting`, the same size for every ``i`` (pwrite needs that)."""
    return b'{"value": %9d, "name": "latency-benchmark"}' % i


@contextlib.contextmanager
def rename_save(path: Path) -> Iterator[Callable[[int], None]]:
    """Write a temporary file beside ``path`` and rename it over (one rename event)."""
    temporary = path.with_name(".incoming.tmp")

    def write(i: int) -> None:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, payload(i))
        finally:
            os.close(fd)
        os.replace(temporary, path)

    yield write


@contextlib.contextmanager
def in_place(path: Path) -> Iterator[Callable[[int], None]]:
    """Overwrite ``path`` in place through one open descriptor (one modify event per write).

    The descriptor stays open: closing it would add a close-write event per
    write, and a trailing event of write i would make write i+1 look faster.
    """
    fd = os.open(path, os.O_WRONLY)

    def write(i: int) -> None:
        os.pwrite(fd, payload(i), 0)

    try:
        yield write
    finally:
        os.close(fd)


WRITES["rename-save"] = rename_save
WRITES["in-place pwrite"] = in_place


class _LocalPut:
    """Writes on the calling thread: the consumer's loop cannot run until the write returns."""

    def __init__(self, write: Callable[[int], None]) -> None:
        self._write, self._start = write, 0.0

    def __call__(self, i: int) -> None:
        self._start = time.perf_counter()
        self._write(i)

    def started(self) -> float:
        return self._start


class _ProcessPut:
    """Has a writer process write (as an editor or kubelet would); it reports the start time."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None
        assert process.stdout is not None
        self._commands, self._replies = process.stdin, process.stdout

    def __call__(self, i: int) -> None:
        os.write(self._commands.fileno(), b"%d\n" % i)  # one small write: never blocks

    def started(self) -> float:
        # Read only after the delivery, so the reply never competes with the event.
        return float(self._replies.readline())


def writer(how: str, *, external: bool) -> Writer:
    """The writer for ``how`` (a key of :data:`WRITES`): in another process, or on this thread."""

    @contextlib.contextmanager
    def local(path: Path) -> Iterator[Put]:
        with WRITES[how](path) as write:
            yield _LocalPut(write)

    @contextlib.contextmanager
    def process(path: Path) -> Iterator[Put]:
        command = [sys.executable, "-m", "benchmarks.file_latency", "--writer", how, str(path)]
        root = Path(__file__).resolve().parent.parent
        child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=root)
        try:
            assert child.stdout is not None
            if child.stdout.readline() != b"ready\n":
                raise RuntimeError(f"the writer process failed to start: {command}")
            yield _ProcessPut(child)
        finally:
            assert child.stdin is not None
            child.stdin.close()  # the writer ends at end of input
            child.wait(10)
            assert child.stdout is not None
            child.stdout.close()

    return process if external else local


def writer_main(how: str, path: str) -> None:
    """The writer process: one write per line of input, answering with its start time."""
    with WRITES[how](Path(path)) as write:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        for line in sys.stdin:
            start = time.perf_counter()
            write(int(line))
            sys.stdout.write(f"{start!r}\n")
            sys.stdout.flush()


# -- raw watchdog ---------------------------------------------------------------------------------


class _Timestamp(FileSystemEventHandler):
    """Records when the first event for ``target`` arrives after :meth:`arm`."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.arrived = threading.Event()
        self.at = 0.0

    def arm(self) -> None:
        self.arrived.clear()

    def dispatch(self, event: FileSystemEvent) -> None:
        if self.arrived.is_set():
            return
        if os.fsdecode(event.src_path) == self.target or (
            event.dest_path and os.fsdecode(event.dest_path) == self.target
        ):
            self.at = time.perf_counter()
            self.arrived.set()


# The event types FileWatcher asks for (watchdog then narrows the inotify mask):
# the baseline gets the same, so only the hand-over differs.
EVENT_FILTER: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileAttribEvent,
    FileMovedEvent,
    FileClosedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def raw_watchdog(folder: Path, write: Writer, samples: int) -> list[float]:
    target = folder / "config.json"
    write_initial(target)
    handler = _Timestamp(str(target))
    observer = Observer()
    observer.schedule(handler, str(folder), event_filter=EVENT_FILTER)
    observer.start()
    latencies: list[float] = []
    with contextlib.ExitStack() as stack:
        stack.callback(observer.join)
        stack.callback(observer.stop)
        put = stack.enter_context(write(target))
        for i in range(WARMUP + samples):
            handler.arm()
            put(i)
            if not handler.arrived.wait(5.0):
                raise RuntimeError(f"watchdog delivered no event for write {i}")
            start = put.started()
            if i >= WARMUP:
                latencies.append(handler.at - start)
            time.sleep(GAP)
    return latencies


async def raw_to_asyncio(folder: Path, write: Writer, samples: int) -> list[float]:
    """The least an asyncio program can do: a handler that wakes the loop, nothing else."""
    target = folder / "config.json"
    write_initial(target)
    loop = asyncio.get_running_loop()
    woke = asyncio.Event()
    wanted = str(target)

    class Wake(FileSystemEventHandler):
        def dispatch(self, event: FileSystemEvent) -> None:
            if os.fsdecode(event.src_path) == wanted or (
                event.dest_path and os.fsdecode(event.dest_path) == wanted
            ):
                loop.call_soon_threadsafe(woke.set)

    observer = Observer()
    observer.schedule(Wake(), str(folder), event_filter=EVENT_FILTER)
    observer.start()
    latencies: list[float] = []
    try:
        with write(target) as put:
            for i in range(WARMUP + samples):
                woke.clear()
                put(i)
                await asyncio.wait_for(woke.wait(), 5.0)
                arrived = time.perf_counter()
                if i >= WARMUP:
                    latencies.append(arrived - put.started())
                else:
                    put.started()
                await asyncio.sleep(GAP)
    finally:
        observer.stop()
        observer.join()
    return latencies


# -- Flow -----------------------------------------------------------------------------------------


async def file_watcher(folder: Path, write: Writer, samples: int) -> list[float]:
    target = folder / "config.json"
    write_initial(target)
    watcher = FileWatcher(f"file://{target}")
    changes = watcher.changes()
    latencies: list[float] = []
    try:
        await anext(changes)
        with write(target) as put:
            for i in range(WARMUP + samples):
                put(i)
                expected = payload(i)
                while (await asyncio.wait_for(anext(changes), 5.0)).value != expected:
                    pass
                arrived = time.perf_counter()
                start = put.started()
                if i >= WARMUP:
                    latencies.append(arrived - start)
                await asyncio.sleep(GAP)
    finally:
        await watcher.aclose()
        await changes.aclose()  # type: ignore[attr-defined]
    return latencies


async def capacitor(folder: Path, write: Writer, samples: int) -> list[float]:
    target = folder / "config.json"
    write_initial(target)
    applied = asyncio.Event()
    arrived_at = [0.0]

    def on_change(previous: Setting | None, current: Setting) -> None:
        arrived_at[0] = time.perf_counter()
        applied.set()

    latencies: list[float] = []
    cap: Capacitor[Setting] = Capacitor(f"file://{target}", model=Setting, on_change=on_change)
    async with cap, contextlib.AsyncExitStack() as stack:
        put = stack.enter_context(write(target))
        for i in range(WARMUP + samples):
            applied.clear()
            put(i)
            while True:
                await asyncio.wait_for(applied.wait(), 5.0)
                applied.clear()
                if cap.current is not None and cap.current.value == i:
                    break
            start = put.started()
            if i >= WARMUP:
                latencies.append(arrived_at[0] - start)
            await asyncio.sleep(GAP)
    return latencies


async def capacitor_on_threads(folder: Path, write: Writer, samples: int) -> list[float]:
    """The Capacitor on watchdog's observer thread (the non-Linux path), for comparison."""
    on_loop = _inotify.AVAILABLE
    _inotify.AVAILABLE = False  # the switch the package's own tests use for that path
    try:
        return await capacitor(folder, write, samples)
    finally:
        _inotify.AVAILABLE = on_loop


def write_initial(target: Path) -> None:
    target.write_bytes(payload(10**8))


# -- read on the loop or in a thread --------------------------------------------------------------


async def read_costs(folder: Path, samples: int) -> tuple[float, float]:
    """Median seconds per read of a small file: on the loop, and via ``asyncio.to_thread``."""
    target = folder / "small.json"
    target.write_bytes(payload(1))

    def read() -> bytes:
        fd = os.open(target, os.O_RDONLY)
        try:
            os.fstat(fd)
            return os.read(fd, 4096)
        finally:
            os.close(fd)

    on_loop, in_thread = [], []
    for _ in range(samples):
        start = time.perf_counter()
        read()
        await asyncio.sleep(0)  # both variants pay one loop iteration
        on_loop.append(time.perf_counter() - start)
        start = time.perf_counter()
        await asyncio.to_thread(read)
        in_thread.append(time.perf_counter() - start)
    return percentile(on_loop, 50), percentile(in_thread, 50)


# -- main -----------------------------------------------------------------------------------------


def rows_for(
    label: str,
    raw: list[float],
    bridge: list[float],
    watcher: list[float],
    cap: list[float],
    threaded: list[float],
) -> list[Row]:
    hand_off = micro(percentile(bridge, 50))
    rows = [
        Row(f"{label}: FileWatcher p50", micro(percentile(watcher, 50)), hand_off,
            "watchdog → asyncio hand-off p50", "µs"),
        Row(f"{label}: Capacitor on_change p50", micro(percentile(cap, 50)), hand_off,
            "watchdog → asyncio hand-off p50", "µs", goal=1.3),
    ]  # fmt: skip
    for pct in (50, 99):
        base = micro(percentile(raw, pct))
        rows.append(
            Row(
                f"{label}: FileWatcher p{pct}",
                micro(percentile(watcher, pct)),
                base,
                f"raw watchdog p{pct}",
                "µs",
            )
        )
        rows.append(
            Row(
                f"{label}: Capacitor on_change p{pct}",
                micro(percentile(cap, pct)),
                base,
                f"raw watchdog p{pct}",
                "µs",
                goal=1.3 if pct == 50 else None,
            )
        )
    rows.append(
        Row(
            f"{label}: Capacitor on_change p50, observer-thread fallback",
            micro(percentile(threaded, 50)),
            micro(percentile(raw, 50)),
            "raw watchdog p50",
            "µs",
        )
    )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--same-thread",
        action="store_true",
        help="write on the benchmark's own thread instead of a separate writer process",
    )
    parser.add_argument("--writer", nargs=2, metavar=("HOW", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.writer:
        writer_main(*args.writer)
        return
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        base = Path(tmp)
        for label in WRITES:
            write = writer(label, external=not args.same_thread)
            kinds = ("raw", "watcher", "cap", "bridge", "threads")
            folders = [base / f"{label}-{kind}" for kind in kinds]
            for folder in folders:
                folder.mkdir()
            raw = raw_watchdog(folders[0], write, args.samples)
            bridge = asyncio.run(raw_to_asyncio(folders[3], write, args.samples))
            with profiled(args.profile):
                watcher = asyncio.run(file_watcher(folders[1], write, args.samples))
            cap = asyncio.run(capacitor(folders[2], write, args.samples))
            threaded = asyncio.run(capacitor_on_threads(folders[4], write, args.samples))
            rows += rows_for(label, raw, bridge, watcher, cap, threaded)
        loop_read, thread_read = asyncio.run(read_costs(base, args.samples))
    rows.append(
        Row(
            "read a 53-byte file: on the loop (median)",
            micro(loop_read),
            micro(thread_read),
            "asyncio.to_thread (median)",
            "µs",
        )
    )
    report(
        f"File change latency ({args.samples} writes per figure, write → delivered)",
        rows,
        notes=[
            "Raw watchdog: time until the observer thread calls a handler for the file. "
            "FileWatcher: until changes() yields the new bytes on the asyncio loop "
            "(on Linux read from inotify by the loop itself; no thread). "
            "Capacitor: until on_change gets the validated pydantic model (json codec). "
            "watchdog → asyncio hand-off: a handler that only calls loop.call_soon_threadsafe, "
            "timed until the loop wakes — the least any asyncio consumer of watchdog pays. "
            "Both raw baselines use the event filter FileWatcher uses. Writes are spaced "
            f"{GAP * 1000:g} ms apart in every phase. "
            + (
                "Writes run on the benchmark's own thread (--same-thread): the loop cannot "
                "react before the write returns, an observer thread can."
                if args.same_thread
                else "Writes are made by a separate writer process (as an editor or kubelet "
                "would), which reports when each write began."
            ),
        ],
    )


if __name__ == "__main__":
    main()
