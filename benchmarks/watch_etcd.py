"""etcd change latency: aetcd's own watch against Flow's EtcdWatcher and Capacitor.

Each sample is one ``put`` of new JSON to the same key (awaited, then waiting
for delivery before the next write) and the time from just before the put until
* raw watch: aetcd's ``Client.watch`` iterator yields the event, with its value
  (the baseline the goals are set against);
* ``EtcdWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

The three are measured in interleaved rounds on one etcd started here (so drift
in the machine's load hits all of them alike), in one event loop with the
writer, all through aetcd's gRPC client.

Run: ``uv run python -m benchmarks.watch_etcd`` (``--samples N``, default 1000 each).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aetcd  # type: ignore[import-untyped]
import pydantic

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready
from flow_watcher_etcd.watcher import EtcdWatcher

from benchmarks.harness import Row, percentile, report

WARMUP = 50
ROUNDS = 4
DEADLINE = 5.0
KEY = "/flow-bench/setting.json"

Phase = Callable[[Any, str, int, int], Awaitable[list[float]]]


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    return b'{"value": %d, "name": "latency-benchmark"}' % i


async def raw_watch(client: Any, uri: str, start: int, count: int) -> list[float]:
    watch = await client.watch(KEY.encode())
    events = aiter(watch)
    latencies: list[float] = []
    try:
        for i in range(start, start + count):
            began = time.perf_counter()
            await client.put(KEY.encode(), payload(i))
            event = await asyncio.wait_for(anext(events), DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert event.kv.value == payload(i), (event, i)
    finally:
        await watch.cancel()
    return latencies


async def flow_watcher(client: Any, uri: str, start: int, count: int) -> list[float]:
    await client.put(KEY.encode(), payload(start - 1))
    watcher = EtcdWatcher(uri)
    changes = aiter(watcher.changes())
    latencies: list[float] = []
    try:
        first = await asyncio.wait_for(anext(changes), DEADLINE)
        assert first.value == payload(start - 1)
        for i in range(start, start + count):
            began = time.perf_counter()
            await client.put(KEY.encode(), payload(i))
            change = await asyncio.wait_for(anext(changes), DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert change.value == payload(i), (change, i)
    finally:
        await watcher.aclose()
        await changes.aclose()  # type: ignore[attr-defined]
    return latencies


async def flow_capacitor(client: Any, uri: str, start: int, count: int) -> list[float]:
    await client.put(KEY.encode(), payload(start - 1))
    arrived: asyncio.Future[Setting] | None = None

    def on_change(previous: Setting | None, current: Setting) -> None:
        if arrived is not None and not arrived.done():
            arrived.set_result(current)

    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    async with Capacitor(uri, model=Setting, on_change=on_change):
        for i in range(start, start + count):
            arrived = loop.create_future()
            began = time.perf_counter()
            await client.put(KEY.encode(), payload(i))
            setting = await asyncio.wait_for(arrived, DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert setting.value == i, (setting, i)
    return latencies


PHASES: dict[str, Phase] = {
    "raw watch": raw_watch,
    "EtcdWatcher": flow_watcher,
    "Capacitor": flow_capacitor,
}


async def measure(port: int, samples: int) -> dict[str, list[float]]:
    uri = f"etcd://127.0.0.1:{port}{KEY}"
    results: dict[str, list[float]] = {name: [] for name in PHASES}
    per_round = -(-samples // ROUNDS)
    counter = 1
    async with aetcd.Client(host="127.0.0.1", port=port) as client:
        for phase in PHASES.values():  # warm every path once (imports, connections)
            await phase(client, uri, counter, WARMUP)
            counter += WARMUP + 1
        for _ in range(ROUNDS):
            for name, phase in PHASES.items():
                results[name] += await phase(client, uri, counter, per_round)
                counter += per_round + 1
    return results


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, pct: int, goal: float | None = None) -> Row:
        return Row(
            f"{what}, p{pct}",
            percentile(results[flow], pct) * 1e6,
            percentile(results["raw watch"], pct) * 1e6,
            "aetcd Client.watch",
            "µs",
            goal=goal,
        )

    model, raw_bytes = "put → validated model in on_change", "put → EtcdWatcher yields bytes"
    return [
        row(model, "Capacitor", 50, goal=1.3),
        row(model, "Capacitor", 99, goal=2.0),
        row(raw_bytes, "EtcdWatcher", 50),
        row(raw_bytes, "EtcdWatcher", 99),
    ]


def start_etcd(folder: str) -> tuple[ServerProcess, int]:
    binary = shutil.which("etcd") or shutil.which("etcd", path="/usr/sbin")
    if binary is None:
        sys.exit("etcd not found; install it with: apt-get install etcd-server")
    port, peer = free_port(), free_port()
    client_url, peer_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{peer}"
    argv = [binary, "--name", "t", "--data-dir", folder,
            "--listen-client-urls", client_url, "--advertise-client-urls", client_url,
            "--listen-peer-urls", peer_url, "--initial-advertise-peer-urls", peer_url,
            "--initial-cluster", f"t={peer_url}", "--initial-cluster-state", "new",
            "--listen-metrics-urls", ""]  # fmt: skip
    ready = f"{client_url}/health"
    server = ServerProcess(argv, ready=lambda: http_ready(ready, contains='"health":"true"'))
    return server, port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flow-bench-etcd-") as folder:
        server, port = start_etcd(folder)
        server.start()
        try:
            results = asyncio.run(measure(port, args.samples))
        finally:
            server.stop()
    counts = {name: len(samples) for name, samples in results.items()}
    report(
        "etcd: put → change delivered (loopback, etcd 3.4, aetcd gRPC, one event loop)",
        rows(results),
        notes=[
            f"Samples per measurement: {counts}; {ROUNDS} interleaved rounds after "
            f"{WARMUP} warm-up writes each.",
            "EtcdWatcher reads the watch stream through aetcd's gRPC stubs directly; "
            "aetcd's own watch() adds a callback and a queue per event.",
        ],
    )


if __name__ == "__main__":
    main()
