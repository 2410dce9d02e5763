"""Firestore change latency: the raw client's on_snapshot against Flow's Capacitor.

Each sample is one ``set`` of a new document (JSON-able fields) from a
writer client, then waiting for delivery before the next write; the time is
from just before the ``set`` until
* raw on_snapshot: the client's ``DocumentReference.on_snapshot`` callback
  runs (on the client's thread) with the new snapshot (the baseline);
* ``Capacitor``: ``on_change`` receives the validated pydantic model (the
  snapshot encoded to JSON, handed to the event loop, decoded, validated).

Both run in interleaved rounds on one Firestore emulator started here, each
writing its own document with the same blocking writer (on a worker thread
for the Capacitor, so the event loop stays free).

Run: ``uv run python -m benchmarks.watch_firestore`` (``--samples N``, default 1000 each).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pydantic

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.live.capacitor import Capacitor
from flow.testing import ServerProcess, free_port
from flow.testing.servers import http_ready
from flow_watcher_firestore._session import close_client
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

from benchmarks.harness import Row, percentile, report

PROJECT = "flow-bench"
ROUNDS = 10


class Doc(pydantic.BaseModel):
    n: int
    name: str
    tags: list[str]


def emulator(directory: str) -> ServerProcess:
    jar = next(
        line
        for line in subprocess.run(
            ["dpkg", "-L", "google-cloud-cli-firestore-emulator"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout.splitlines()
        if line.endswith("cloud-firestore-emulator.jar")
    )  # fmt: skip
    port = free_port()
    argv = [
        shutil.which("java") or "java", "-Xmx512m", "-cp", jar,
        "com.google.cloud.datastore.emulator.firestore.CloudFirestore", "start",
        "--host=127.0.0.1", f"--port={port}", "--database-mode=firestore-native",
    ]  # fmt: skip
    ready = lambda: http_ready(f"http://127.0.0.1:{port}/", contains="Ok")  # noqa: E731
    return ServerProcess(argv, ready=ready, name="firestore", port=port, cwd=directory,
                         ready_timeout=90.0)  # fmt: skip


def client(address: str) -> Any:
    c = firestore.Client(project=PROJECT, credentials=AnonymousCredentials())  # type: ignore[no-untyped-call]
    c._emulator_host = address
    return c


def data(n: int) -> dict[str, Any]:
    return {"n": n, "name": f"doc-{n}", "tags": ["a", "b", str(n)]}


def raw_round(writer: Any, reader: Any, start: int, count: int) -> list[float]:
    """on_snapshot latencies: the callback records when it saw each new ``n``."""
    seen: dict[int, float] = {}
    arrived = threading.Event()

    def callback(docs: list[Any], _changes: object, _read_time: object) -> None:
        if docs:
            seen[docs[0].to_dict()["n"]] = time.perf_counter()
            arrived.set()

    ref = reader.collection("bench").document("raw")
    writer_ref = writer.collection("bench").document("raw")
    watch = ref.on_snapshot(callback)
    try:
        arrived.wait(30)
        samples = []
        for n in range(start, start + count):
            arrived.clear()
            t0 = time.perf_counter()
            writer_ref.set(data(n))
            while n not in seen:
                if not arrived.wait(30):
                    raise TimeoutError(f"on_snapshot never saw n={n}")
                arrived.clear()
            samples.append(seen[n] - t0)
        return samples
    finally:
        watch.unsubscribe()


async def flow_round(writer: Any, address: str, start: int, count: int) -> list[float]:
    """Capacitor latencies: ``on_change`` records when each validated ``Doc`` arrives."""
    seen: dict[int, float] = {}
    arrived = asyncio.Event()

    def on_change(_previous: Doc | None, current: Doc) -> None:
        seen[current.n] = time.perf_counter()
        arrived.set()

    writer_ref = writer.collection("bench").document("flow")
    uri = f"firestore://{PROJECT}/bench/flow?emulator={address}"
    samples = []
    async with Capacitor(uri, model=Doc, on_change=on_change, startup_timeout=30):
        for n in range(start, start + count):
            arrived.clear()
            t0 = time.perf_counter()
            await asyncio.to_thread(writer_ref.set, data(n))
            async with asyncio.timeout(30):
                while n not in seen:
                    await arrived.wait()
                    arrived.clear()
            samples.append(seen[n] - t0)
    return samples


async def main(samples: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        server = emulator(directory).start()
        try:
            address = f"127.0.0.1:{server.port}"
            writer, reader = client(address), client(address)
            writer.collection("bench").document("raw").set(data(-1))
            writer.collection("bench").document("flow").set(data(-1))
            for n in range(200):  # warm up the emulator's JIT before measuring
                writer.collection("bench").document("warm").set(data(n))
            raw: list[float] = []
            flow: list[float] = []
            per_round = max(1, samples // ROUNDS)
            for r in range(ROUNDS):
                raw += await asyncio.to_thread(raw_round, writer, reader, r * per_round, per_round)
                flow += await flow_round(writer, address, r * per_round, per_round)
            close_client(writer)
            close_client(reader)
        finally:
            server.stop()
    ms = 1000.0
    report(
        f"Firestore emulator: write -> callback ({len(flow)} changes each)",
        [
            Row(
                "p50 write -> validated model",
                percentile(flow, 50) * ms,
                percentile(raw, 50) * ms,
                "raw on_snapshot",
                "ms",
                goal=1.3,
            ),
            Row(
                "p99 write -> validated model",
                percentile(flow, 99) * ms,
                percentile(raw, 99) * ms,
                "raw on_snapshot",
                "ms",
                goal=2.0,
            ),
        ],
        notes=[
            "raw: DocumentReference.on_snapshot callback on the client's thread",
            "flow: Capacitor(firestore://…, model=Doc) on_change with the validated model",
            f"{ROUNDS} interleaved rounds on one emulator started by this script",
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    asyncio.run(main(parser.parse_args().samples))
