"""Redis change latency: raw keyspace notifications against Flow's watcher and Capacitor.

Each sample is one ``SET`` of new JSON to the same key (awaited, then waiting
for delivery before the next write) and the time from just before the SET until
* raw notification: redis-py's ``PubSub.get_message`` returns the keyspace
  event (the baseline the goals are set against; it carries no value);
* raw notification + GET: the same, then ``Redis.get`` of the key (what a
  hand-written watcher on the raw client must do to learn the new value);
* ``RedisWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

The four are measured in interleaved rounds on one redis-server started here
(so drift in the machine's load hits all of them alike), in one event loop
with the writer. The writer and both raw phases use redis-py (with hiredis,
its fast parser, installed); Flow's watcher speaks RESP itself, parsed by the
same hiredis.

Run: ``uv run python -m benchmarks.watch_redis`` (``--samples N``, default 1000 each).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

import redis.asyncio as aredis

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.testing import ServerProcess, free_port
from flow.testing.servers import tcp_ready
from flow_watcher_redis.watcher import RedisWatcher

from benchmarks import _latency as lat
from benchmarks.harness import Row, report

WARMUP = 50
ROUNDS = 10
KEY = "flow-bench"


async def _raw(writer: aredis.Redis, start: int, count: int, *, read_value: bool) -> list[float]:
    pubsub = writer.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"__keyspace@0__:{KEY}")
    await pubsub.get_message(timeout=lat.DEADLINE)  # the subscribe confirmation
    latencies: list[float] = []
    try:
        for i in range(start, start + count):
            began = time.perf_counter()
            await writer.set(KEY, lat.payload(i))
            message = await asyncio.wait_for(pubsub.get_message(timeout=None), lat.DEADLINE)
            if read_value:
                value = await writer.get(KEY)
                assert value == lat.payload(i), (value, i)
            latencies.append(time.perf_counter() - began)
            assert message is not None, i
            assert message["data"] == b"set", message
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    return latencies


BASELINE_NAMES = {
    "raw notification": "redis-py keyspace notification",
    "raw notification + GET": "redis-py notification + GET",
}


def phases(writer: aredis.Redis, uri: str) -> dict[str, lat.Phase]:
    async def write(value: bytes) -> None:
        await writer.set(KEY, value)

    return {
        "raw notification": lambda start, n: _raw(writer, start, n, read_value=False),
        "raw notification + GET": lambda start, n: _raw(writer, start, n, read_value=True),
        "RedisWatcher": lambda start, n: lat.watcher_latencies(RedisWatcher(uri), write, start, n),
        "Capacitor": lambda start, n: lat.capacitor_latencies(uri, write, start, n),
    }


async def measure(port: int, samples: int) -> dict[str, list[float]]:
    uri = f"redis://127.0.0.1:{port}/0?key={KEY}"
    writer = aredis.Redis(port=port, protocol=2)
    try:
        return await lat.interleaved(phases(writer, uri), samples, warmup=WARMUP, rounds=ROUNDS)
    finally:
        await writer.aclose()


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, baseline: str, pct: int, goal: float | None = None) -> Row:
        return lat.latency_row(
            what, results[flow], results[baseline], BASELINE_NAMES[baseline], pct, goal
        )

    model, raw_bytes = "write → validated model in on_change", "write → RedisWatcher yields bytes"
    return [
        row(model, "Capacitor", "raw notification", 50, goal=1.3),
        row(model, "Capacitor", "raw notification", 99, goal=2.0),
        row(raw_bytes, "RedisWatcher", "raw notification", 50),
        row(raw_bytes, "RedisWatcher", "raw notification", 99),
        row(model, "Capacitor", "raw notification + GET", 50),
        row(model, "Capacitor", "raw notification + GET", 99),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per measurement")
    args = parser.parse_args()
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin")
    if binary is None:
        sys.exit("redis-server not found; install it with: apt-get install redis-server")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="flow-bench-redis-") as folder:
        argv = [binary, "--bind", "127.0.0.1", "--port", str(port), "--dir", folder,
                "--save", "", "--appendonly", "no", "--notify-keyspace-events", "KEA",
                "--daemonize", "no"]  # fmt: skip
        server = ServerProcess(argv, ready=lambda: tcp_ready("127.0.0.1", port), name="redis")
        server.start()
        try:
            results = asyncio.run(measure(port, args.samples))
        finally:
            server.stop()
    counts = {name: len(samples) for name, samples in results.items()}
    report(
        "Redis: write → change delivered (loopback, redis-server 7, redis-py, one event loop)",
        rows(results),
        notes=[
            f"Samples per measurement: {counts}; {ROUNDS} interleaved rounds after "
            f"{WARMUP} warm-up writes each.",
            "A keyspace notification carries no value, so every delivered value costs one "
            "GET round trip after the event; the last two rows compare against a raw "
            "watcher that does the same.",
        ],
    )


if __name__ == "__main__":
    main()
