"""Consul change latency: a raw blocking-query loop against Flow's watcher and Capacitor.

Each sample is one ``PUT /v1/kv/<key>`` of new JSON (awaited, then waiting for
delivery before the next write) and the time from just before the PUT until
* raw blocking query: a hand-written aiohttp loop of ``GET ?raw&index=N``
  returns the new value (the baseline: what any Consul KV watch does);
* ``ConsulWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.

No ``consul`` binary can be installed here, so the agent is the in-repo
Consul KV server (``packages/watcher-consul/tests/consul_server.py``, a real
separate process); with ``--consul`` a ``consul agent -dev`` on PATH is used
instead. The three are measured in interleaved rounds on the same agent, in
one event loop with the writer.

Run: ``uv run python -m benchmarks.watch_consul`` (``--samples N``, default 1000 each).
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

import aiohttp
import pydantic

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready
from flow_watcher_consul.watcher import ConsulWatcher

from benchmarks.harness import Row, percentile, report

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = ROOT / "packages" / "watcher-consul" / "tests" / "consul_server.py"
WARMUP = 50
ROUNDS = 4
DEADLINE = 5.0
KEY = "flow/bench"

Phase = Callable[[aiohttp.ClientSession, str, int, int], Awaitable[list[float]]]


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    return b'{"value": %d, "name": "latency-benchmark"}' % i


async def put(writer: aiohttp.ClientSession, base: str, value: bytes) -> None:
    async with writer.put(f"{base}/v1/kv/{KEY}", data=value) as response:
        assert response.status == 200, await response.text()


async def raw_blocking_query(
    writer: aiohttp.ClientSession, base: str, start: int, count: int
) -> list[float]:
    """The baseline: GET ?raw&index=N in a loop, on its own connection, as any KV watch does."""
    await put(writer, base, payload(start - 1))
    latencies: list[float] = []
    async with aiohttp.ClientSession() as reader:
        async with reader.get(f"{base}/v1/kv/{KEY}?raw") as response:
            index = int(response.headers["X-Consul-Index"])
            await response.read()
        for i in range(start, start + count):
            query = reader.get(f"{base}/v1/kv/{KEY}?raw&wait=60s&index={index}")
            pending = asyncio.ensure_future(query.__aenter__())
            began = time.perf_counter()
            await put(writer, base, payload(i))
            response = await asyncio.wait_for(pending, DEADLINE)
            value = await response.read()
            latencies.append(time.perf_counter() - began)
            index = int(response.headers["X-Consul-Index"])
            response.release()
            assert value == payload(i), (value, i)
    return latencies


async def flow_watcher(
    writer: aiohttp.ClientSession, base: str, start: int, count: int
) -> list[float]:
    await put(writer, base, payload(start - 1))
    watcher = ConsulWatcher(f"consul://{base.partition('://')[2]}/{KEY}")
    changes = aiter(watcher.changes())
    latencies: list[float] = []
    try:
        first = await asyncio.wait_for(anext(changes), DEADLINE)
        assert first.value == payload(start - 1)
        for i in range(start, start + count):
            began = time.perf_counter()
            await put(writer, base, payload(i))
            change = await asyncio.wait_for(anext(changes), DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert change.value == payload(i), (change, i)
    finally:
        await watcher.aclose()
        await changes.aclose()  # type: ignore[attr-defined]
    return latencies


async def flow_capacitor(
    writer: aiohttp.ClientSession, base: str, start: int, count: int
) -> list[float]:
    await put(writer, base, payload(start - 1))
    arrived: asyncio.Future[Setting] | None = None

    def on_change(previous: Setting | None, current: Setting) -> None:
        if arrived is not None and not arrived.done():
            arrived.set_result(current)

    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    uri = f"consul://{base.partition('://')[2]}/{KEY}"
    async with Capacitor(uri, model=Setting, on_change=on_change):
        for i in range(start, start + count):
            arrived = loop.create_future()
            began = time.perf_counter()
            await put(writer, base, payload(i))
            setting = await asyncio.wait_for(arrived, DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert setting.value == i, (setting, i)
    return latencies


PHASES: dict[str, Phase] = {
    "raw blocking query": raw_blocking_query,
    "ConsulWatcher": flow_watcher,
    "Capacitor": flow_capacitor,
}


async def measure(base: str, samples: int) -> dict[str, list[float]]:
    results: dict[str, list[float]] = {name: [] for name in PHASES}
    per_round = -(-samples // ROUNDS)
    counter = 1
    async with aiohttp.ClientSession() as writer:
        for phase in PHASES.values():  # warm every path once (imports, connections)
            await phase(writer, base, counter, WARMUP)
            counter += WARMUP + 1
        for _ in range(ROUNDS):
            for name, phase in PHASES.items():
                results[name] += await phase(writer, base, counter, per_round)
                counter += per_round + 1
    return results


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, pct: int, goal: float | None = None) -> Row:
        return Row(
            f"{what}, p{pct}",
            percentile(results[flow], pct) * 1e6,
            percentile(results["raw blocking query"], pct) * 1e6,
            "aiohttp blocking query",
            "µs",
            goal=goal,
        )

    model, raw_bytes = "write → validated model in on_change", "write → ConsulWatcher yields bytes"
    return [
        row(model, "Capacitor", 50, goal=1.3),
        row(model, "Capacitor", 99, goal=2.0),
        row(raw_bytes, "ConsulWatcher", 50),
        row(raw_bytes, "ConsulWatcher", 99),
    ]


def agent(folder: str, use_consul: bool) -> tuple[ServerProcess, int]:
    port = free_port()
    if use_consul:
        binary = shutil.which("consul")
        if binary is None:
            sys.exit("consul not found on PATH (https://developer.hashicorp.com/consul/install)")
        argv = [binary, "agent", "-dev", "-bind", "127.0.0.1", "-client", "127.0.0.1",
                "-http-port", str(port), "-dns-port", "-1", "-grpc-port", "-1",
                "-server-port", str(free_port()), "-serf-lan-port", str(free_port()),
                "-serf-wan-port", str(free_port())]  # fmt: skip
    else:
        argv = [sys.executable, str(SERVER_SCRIPT), "--port", str(port)]
    leader = f"http://127.0.0.1:{port}/v1/status/leader"
    ready = lambda: http_ready(leader, contains=":")  # noqa: E731
    return ServerProcess(argv, ready=ready, name="consul", cwd=folder, ready_timeout=60), port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000, help="samples per measurement")
    parser.add_argument("--consul", action="store_true", help="use `consul agent -dev` from PATH")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="flow-bench-consul-") as folder:
        server, port = agent(folder, args.consul)
        server.start()
        try:
            results = asyncio.run(measure(f"http://127.0.0.1:{port}", args.samples))
        finally:
            server.stop()
    counts = {name: len(samples) for name, samples in results.items()}
    which = "consul agent -dev" if args.consul else "the in-repo Consul KV server"
    report(
        f"Consul: write → change delivered (loopback, {which}, aiohttp, one event loop)",
        rows(results),
        notes=[
            f"Samples per measurement: {counts}; {ROUNDS} interleaved rounds after "
            f"{WARMUP} warm-up writes each.",
            "The baseline issues its blocking query before the write, so it measures only "
            "the agent's wake-up and one HTTP answer; the watcher issues its next query "
            "when the consumer asks for the next change, as any pull-based iterator does.",
        ],
    )


if __name__ == "__main__":
    main()
