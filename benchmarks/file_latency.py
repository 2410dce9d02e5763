"""File change latency: raw watchdog events against Flow's FileWatcher and Capacitor.

Each sample is one write of new bytes to the same file and the time until
* raw watchdog: the observer thread calls a handler for that file (the baseline);
* ``FileWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

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
import importlib
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

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
from flow_watcher_file.watcher import FileWatcher

from benchmarks.harness import Row, percentile, report

WARMUP = 50
# Pause after each delivery, the same in every phase, so each write meets an idle
# observer (config writes are isolated events; back-to-back storms are another benchmark).
GAP = 0.002
Writer = Callable[[Path], contextlib.AbstractContextManager[Callable[[int], None]]]


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
            start = time.perf_counter()
            put(i)
            if not handler.arrived.wait(5.0):
                raise RuntimeError(f"watchdog delivered no event for write {i}")
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
                start = time.perf_counter()
                put(i)
                await asyncio.wait_for(woke.wait(), 5.0)
                if i >= WARMUP:
                    latencies.append(time.perf_counter() - start)
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
                start = time.perf_counter()
                put(i)
                expected = payload(i)
                while (await asyncio.wait_for(anext(changes), 5.0)).value != expected:
                    pass
                if i >= WARMUP:
                    latencies.append(time.perf_counter() - start)
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
            start = time.perf_counter()
            put(i)
            while True:
                await asyncio.wait_for(applied.wait(), 5.0)
                applied.clear()
                if cap.current is not None and cap.current.value == i:
                    break
            if i >= WARMUP:
                latencies.append(arrived_at[0] - start)
            await asyncio.sleep(GAP)
    return latencies


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


@contextlib.contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    # Imported by name: only --profile needs it (uv run --group bench ...).
    profiler = importlib.import_module("pyinstrument").Profiler(
        interval=0.0001, async_mode="disabled"
    )
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))


def micro(seconds: float) -> float:
    return seconds * 1e6


def rows_for(
    label: str, raw: list[float], bridge: list[float], watcher: list[float], cap: list[float]
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
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        base = Path(tmp)
        for label, write in (("rename-save", rename_save), ("in-place pwrite", in_place)):
            kinds = ("raw", "watcher", "cap", "bridge")
            folders = [base / f"{label}-{kind}" for kind in kinds]
            for folder in folders:
                folder.mkdir()
            raw = raw_watchdog(folders[0], write, args.samples)
            bridge = asyncio.run(raw_to_asyncio(folders[3], write, args.samples))
            with profiled(args.profile):
                watcher = asyncio.run(file_watcher(folders[1], write, args.samples))
            cap = asyncio.run(capacitor(folders[2], write, args.samples))
            rows += rows_for(label, raw, bridge, watcher, cap)
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
            "FileWatcher: until changes() yields the new bytes on the asyncio loop. "
            "Capacitor: until on_change gets the validated pydantic model (json codec). "
            "watchdog → asyncio hand-off: a handler that only calls loop.call_soon_threadsafe, "
            "timed until the loop wakes — the least any asyncio consumer of watchdog pays. "
            "Both raw baselines use the event filter FileWatcher uses. Writes are spaced "
            f"{GAP * 1000:g} ms apart in every phase.",
        ],
    )


if __name__ == "__main__":
    main()
