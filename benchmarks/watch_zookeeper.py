"""ZooKeeper change latency: kazoo's DataWatch against Flow's ZooKeeperWatcher and Capacitor.

One real ZooKeeper (started here, on a free loopback port) and one writer client.
Each sample is one ``set`` of new bytes on the same znode and the time until
* raw DataWatch: kazoo's DataWatch recipe calls its function with the new data (the baseline);
* DataWatch → asyncio: that function only wakes an asyncio loop (the least an asyncio
  consumer of kazoo pays on top);
* ``ZooKeeperWatcher``: ``changes()`` yields the new bytes on the loop;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

Writes are sequential (write, wait for delivery, next) and sent with ``set_async`` in
every phase, so no phase pays for waiting on the writer's own acknowledgement.

Run: ``uv run python -m benchmarks.watch_zookeeper`` (``--samples N``, default 1000;
``--profile`` prints a pyinstrument profile of the Capacitor phase, ``uv run --group bench``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pydantic
from kazoo.client import KazooClient  # type: ignore[import-untyped]

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow_watcher_zookeeper.testing import ZooKeeperServer
from flow_watcher_zookeeper.watcher import ZooKeeperWatcher

from benchmarks.harness import Row, micro, percentile, profiled, report

WARMUP = 50
DEADLINE = 5.0


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    return b'{"value": %d, "name": "latency-benchmark"}' % i


def connect(hosts: str) -> Any:
    client = KazooClient(hosts=hosts)
    client.start(timeout=30)
    return client


def disconnect(client: Any) -> None:
    client.stop()
    client.close()


# -- raw kazoo ------------------------------------------------------------------------------------


def raw_datawatch(hosts: str, writer: Any, path: str, samples: int) -> list[float]:
    writer.create(path, payload(-1), makepath=True)
    client = connect(hosts)
    arrived = threading.Event()
    wanted: list[bytes | None] = [None]
    at = [0.0]

    def on_data(data: bytes | None, stat: Any) -> bool:
        if data == wanted[0]:
            at[0] = time.perf_counter()
            arrived.set()
        return True

    client.DataWatch(path, on_data)
    latencies: list[float] = []
    try:
        for i in range(WARMUP + samples):
            arrived.clear()
            wanted[0] = payload(i)
            start = time.perf_counter()
            writer.set_async(path, payload(i))
            if not arrived.wait(DEADLINE):
                raise RuntimeError(f"DataWatch saw no change for write {i}")
            if i >= WARMUP:
                latencies.append(at[0] - start)
    finally:
        disconnect(client)
    return latencies


async def raw_to_asyncio(hosts: str, writer: Any, path: str, samples: int) -> list[float]:
    writer.create(path, payload(-1), makepath=True)
    client = await asyncio.to_thread(connect, hosts)
    loop = asyncio.get_running_loop()
    woke = asyncio.Event()
    wanted: list[bytes | None] = [None]

    def on_data(data: bytes | None, stat: Any) -> bool:
        if data == wanted[0]:
            loop.call_soon_threadsafe(woke.set)
        return True

    await asyncio.to_thread(client.DataWatch, path, on_data)
    latencies: list[float] = []
    try:
        for i in range(WARMUP + samples):
            woke.clear()
            wanted[0] = payload(i)
            start = time.perf_counter()
            writer.set_async(path, payload(i))
            await asyncio.wait_for(woke.wait(), DEADLINE)
            if i >= WARMUP:
                latencies.append(time.perf_counter() - start)
    finally:
        await asyncio.to_thread(disconnect, client)
    return latencies


# -- Flow -----------------------------------------------------------------------------------------


async def flow_watcher(hosts: str, writer: Any, path: str, samples: int) -> list[float]:
    writer.create(path, payload(-1), makepath=True)
    watcher = ZooKeeperWatcher(f"zk://{hosts}{path}")
    changes = watcher.changes()
    latencies: list[float] = []
    try:
        await anext(changes)
        for i in range(WARMUP + samples):
            expected = payload(i)
            start = time.perf_counter()
            writer.set_async(path, expected)
            while (await asyncio.wait_for(anext(changes), DEADLINE)).value != expected:
                pass
            if i >= WARMUP:
                latencies.append(time.perf_counter() - start)
    finally:
        await watcher.aclose()
        await changes.aclose()  # type: ignore[attr-defined]
    return latencies


async def flow_capacitor(hosts: str, writer: Any, path: str, samples: int) -> list[float]:
    writer.create(path, payload(-1), makepath=True)
    applied = asyncio.Event()
    arrived_at = [0.0]

    def on_change(previous: Setting | None, current: Setting) -> None:
        arrived_at[0] = time.perf_counter()
        applied.set()

    latencies: list[float] = []
    cap: Capacitor[Setting] = Capacitor(f"zk://{hosts}{path}", model=Setting, on_change=on_change)
    async with cap:
        for i in range(WARMUP + samples):
            applied.clear()
            start = time.perf_counter()
            writer.set_async(path, payload(i))
            while True:
                await asyncio.wait_for(applied.wait(), DEADLINE)
                applied.clear()
                if cap.current is not None and cap.current.value == i:
                    break
            if i >= WARMUP:
                latencies.append(arrived_at[0] - start)
    return latencies


def _run(phase: Callable[..., Coroutine[Any, Any, list[float]]]) -> Phase:
    return lambda *args: asyncio.run(phase(*args))


Phase = Callable[[str, Any, str, int], list[float]]
PHASES: dict[str, Phase] = {
    "raw": raw_datawatch,
    "bridge": _run(raw_to_asyncio),
    "watcher": _run(flow_watcher),
    "capacitor": _run(flow_capacitor),
}


# -- main -----------------------------------------------------------------------------------------


def rows_for(
    raw: list[float], bridge: list[float], watcher: list[float], cap: list[float]
) -> list[Row]:
    rows: list[Row] = []
    for pct, goal in ((50, 1.3), (99, 2.0)):
        base = micro(percentile(raw, pct))
        name = f"raw DataWatch p{pct}"
        rows += [
            Row(f"DataWatch → asyncio p{pct}", micro(percentile(bridge, pct)), base, name, "µs"),
            Row(f"ZooKeeperWatcher p{pct}", micro(percentile(watcher, pct)), base, name, "µs"),
            Row(f"Capacitor on_change p{pct}", micro(percentile(cap, pct)), base, name, "µs",
                goal=goal),
        ]  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in PHASES}
    per_round = max(1, args.samples // args.rounds)
    with (
        tempfile.TemporaryDirectory(prefix="flow-bench-zk-") as tmp,
        ZooKeeperServer(tmp, quick_start=False) as server,
    ):
        writer = connect(server.hosts)
        try:
            # Phases take turns, in a rotating order, so that server warm-up and
            # machine load drift spread over all of them alike.
            names = list(PHASES)
            for round_ in range(args.rounds):
                order = names[round_ % len(names) :] + names[: round_ % len(names)]
                for name in order:
                    path = f"/bench/{name}-{round_}"
                    with profiled(args.profile and name == "capacitor"):
                        samples[name] += PHASES[name](server.hosts, writer, path, per_round)
        finally:
            disconnect(writer)
    total = per_round * args.rounds
    report(
        f"ZooKeeper change latency ({total} sequential writes per figure, set → delivered)",
        rows_for(samples["raw"], samples["bridge"], samples["watcher"], samples["capacitor"]),
        notes=[
            "Raw DataWatch: time from set_async until kazoo's DataWatch function gets the new "
            "data (on kazoo's callback thread). DataWatch → asyncio: that function only calls "
            "loop.call_soon_threadsafe; timed until the loop wakes. ZooKeeperWatcher: until "
            "changes() yields the new bytes on the loop. Capacitor: until on_change gets the "
            "validated pydantic model (json codec). One ZooKeeper 3.8 (Java 17, -Xmx256m) on "
            "loopback; the writer is a separate kazoo client in the same process. The four "
            f"phases take turns over {args.rounds} rounds (rotating order), "
            f"{WARMUP} warm-up writes each.",
        ],
    )


if __name__ == "__main__":
    main()
