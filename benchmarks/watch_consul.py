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
from pathlib import Path

import aiohttp

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready
from flow_watcher_consul.watcher import ConsulWatcher

from benchmarks import _latency as lat
from benchmarks.harness import Row, report

ROOT = Path(__file__).resolve().parent.parent
SERVER_SCRIPT = ROOT / "packages" / "watcher-consul" / "tests" / "consul_server.py"
WARMUP = 50
ROUNDS = 4
KEY = "flow/bench"


async def put(writer: aiohttp.ClientSession, base: str, value: bytes) -> None:
    async with writer.put(f"{base}/v1/kv/{KEY}", data=value) as response:
        assert response.status == 200, await response.text()


async def raw_blocking_query(
    writer: aiohttp.ClientSession, base: str, start: int, count: int
) -> list[float]:
    """The baseline: GET ?raw&index=N in a loop, on its own connection, as any KV watch does."""
    await put(writer, base, lat.payload(start - 1))
    latencies: list[float] = []
    async with aiohttp.ClientSession() as reader:
        async with reader.get(f"{base}/v1/kv/{KEY}?raw") as response:
            index = int(response.headers["X-Consul-Index"])
            await response.read()
        for i in range(start, start + count):
            query = reader.get(f"{base}/v1/kv/{KEY}?raw&wait=60s&index={index}")
            pending = asyncio.ensure_future(query.__aenter__())
            began = time.perf_counter()
            await put(writer, base, lat.payload(i))
            response = await asyncio.wait_for(pending, lat.DEADLINE)
            value = await response.read()
            latencies.append(time.perf_counter() - began)
            index = int(response.headers["X-Consul-Index"])
            response.release()
            assert value == lat.payload(i), (value, i)
    return latencies


def phases(writer: aiohttp.ClientSession, base: str) -> dict[str, lat.Phase]:
    uri = f"consul://{base.partition('://')[2]}/{KEY}"

    async def write(value: bytes) -> None:
        await put(writer, base, value)

    return {
        "raw blocking query": lambda start, n: raw_blocking_query(writer, base, start, n),
        "ConsulWatcher": lambda start, n: lat.watcher_latencies(
            ConsulWatcher(uri), write, start, n
        ),
        "Capacitor": lambda start, n: lat.capacitor_latencies(uri, write, start, n),
    }


async def measure(base: str, samples: int) -> dict[str, list[float]]:
    async with aiohttp.ClientSession() as writer:
        return await lat.interleaved(phases(writer, base), samples, warmup=WARMUP, rounds=ROUNDS)


def rows(results: dict[str, list[float]]) -> list[Row]:
    def row(what: str, flow: str, pct: int, goal: float | None = None) -> Row:
        raw = results["raw blocking query"]
        return lat.latency_row(what, results[flow], raw, "aiohttp blocking query", pct, goal)

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
