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
from pathlib import Path
from typing import Any

import aetcd  # type: ignore[import-untyped]

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready
from flow_watcher_etcd.watcher import EtcdWatcher

from benchmarks import _latency as lat
from benchmarks.harness import Row, report

WARMUP = 50
ROUNDS = 4
KEY = "/flow-bench/setting.json"


async def raw_watch(client: Any, start: int, count: int) -> list[float]:
    watch = await client.watch(KEY.encode())
    events = aiter(watch)
    latencies: list[float] = []
    try:
        for i in range(start, start + count):
            began = time.perf_counter()
            await client.put(KEY.encode(), lat.payload(i))
            event = await asyncio.wait_for(anext(events), lat.DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert event.kv.value == lat.payload(i), (event, i)
    finally:
        await watch.cancel()
    return latencies


def phases(client: Any, uri: str) -> dict[str, lat.Phase]:
    async def write(value: bytes) -> None:
        await client.put(KEY.encode(), value)

    return {
        "raw watch": lambda start, n: raw_watch(client, start, n),
        "EtcdWatcher": lambda start, n: lat.watcher_latencies(EtcdWatcher(uri), write, start, n),
        "Capacitor": lambda start, n: lat.capacitor_latencies(uri, write, start, n),
    }


async def measure(port: int, samples: int) -> dict[str, list[float]]:
    uri = f"etcd://127.0.0.1:{port}{KEY}"
    async with aetcd.Client(host="127.0.0.1", port=port) as client:
        return await lat.interleaved(phases(client, uri), samples, warmup=WARMUP, rounds=ROUNDS)


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, pct: int, goal: float | None = None) -> Row:
        raw = results["raw watch"]
        return lat.latency_row(what, results[flow], raw, "aetcd Client.watch", pct, goal)

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
