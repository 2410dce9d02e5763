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
with the writer, all through redis-py.

Run: ``uv run python -m benchmarks.watch_redis`` (``--samples N``, default 1000 each).
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

import pydantic
import redis.asyncio as aredis

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow.testing import ServerProcess, free_port
from flow.testing.servers import tcp_ready
from flow_watcher_redis.watcher import RedisWatcher

from benchmarks.harness import Row, percentile, report

WARMUP = 50
ROUNDS = 4
DEADLINE = 5.0
KEY = "flow-bench"

Phase = Callable[[aredis.Redis, str, int, int], Awaitable[list[float]]]


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    return b'{"value": %d, "name": "latency-benchmark"}' % i


async def raw_notification(writer: aredis.Redis, uri: str, start: int, count: int) -> list[float]:
    return await _raw(writer, start, count, read_value=False)


async def raw_notification_and_get(
    writer: aredis.Redis, uri: str, start: int, count: int
) -> list[float]:
    return await _raw(writer, start, count, read_value=True)


async def _raw(writer: aredis.Redis, start: int, count: int, *, read_value: bool) -> list[float]:
    pubsub = writer.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(f"__keyspace@0__:{KEY}")
    await pubsub.get_message(timeout=DEADLINE)  # the subscribe confirmation
    latencies: list[float] = []
    try:
        for i in range(start, start + count):
            began = time.perf_counter()
            await writer.set(KEY, payload(i))
            message = await asyncio.wait_for(pubsub.get_message(timeout=None), DEADLINE)
            if read_value:
                value = await writer.get(KEY)
                assert value == payload(i), (value, i)
            latencies.append(time.perf_counter() - began)
            assert message is not None, i
            assert message["data"] == b"set", message
    finally:
        await pubsub.aclose()  # type: ignore[no-untyped-call]
    return latencies


async def flow_watcher(writer: aredis.Redis, uri: str, start: int, count: int) -> list[float]:
    await writer.set(KEY, payload(start - 1))
    watcher = RedisWatcher(uri)
    changes = aiter(watcher.changes())
    latencies: list[float] = []
    try:
        first = await asyncio.wait_for(anext(changes), DEADLINE)
        assert first.value == payload(start - 1)
        for i in range(start, start + count):
            began = time.perf_counter()
            await writer.set(KEY, payload(i))
            change = await asyncio.wait_for(anext(changes), DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert change.value == payload(i), (change, i)
    finally:
        await watcher.aclose()
        await changes.aclose()  # type: ignore[attr-defined]
    return latencies


async def flow_capacitor(writer: aredis.Redis, uri: str, start: int, count: int) -> list[float]:
    await writer.set(KEY, payload(start - 1))
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
            await writer.set(KEY, payload(i))
            setting = await asyncio.wait_for(arrived, DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert setting.value == i, (setting, i)
    return latencies


BASELINE_NAMES = {
    "raw notification": "redis-py keyspace notification",
    "raw notification + GET": "redis-py notification + GET",
}

PHASES: dict[str, Phase] = {
    "raw notification": raw_notification,
    "raw notification + GET": raw_notification_and_get,
    "RedisWatcher": flow_watcher,
    "Capacitor": flow_capacitor,
}


async def measure(port: int, samples: int) -> dict[str, list[float]]:
    uri = f"redis://127.0.0.1:{port}/0?key={KEY}"
    writer = aredis.Redis(port=port, protocol=2)
    results: dict[str, list[float]] = {name: [] for name in PHASES}
    per_round = -(-samples // ROUNDS)
    counter = 1
    try:
        for phase in PHASES.values():  # warm every path once (imports, connections)
            await phase(writer, uri, counter, WARMUP)
            counter += WARMUP + 1
        for _ in range(ROUNDS):
            for name, phase in PHASES.items():
                results[name] += await phase(writer, uri, counter, per_round)
                counter += per_round + 1
    finally:
        await writer.aclose()
    return results


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, baseline: str, pct: int, goal: float | None = None) -> Row:
        return Row(
            f"{what}, p{pct}",
            percentile(results[flow], pct) * 1e6,
            percentile(results[baseline], pct) * 1e6,
            BASELINE_NAMES[baseline],
            "µs",
            goal=goal,
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
