"""Shared parts of the watcher latency benchmarks (``benchmarks/watch_*.py``).

Each sample is one write of new JSON to one key (awaited), then waiting until
the change is delivered, before the next write. The phases a benchmark
compares (its raw client's own notification, Flow's watcher, a Capacitor
with a pydantic model) run in interleaved rounds, so that drift in the
machine's load hits all of them alike.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import pydantic
from flow.live.capacitor import Capacitor
from flow.live.watcher import Watcher

from benchmarks.harness import Row, percentile

__all__ = [
    "DEADLINE",
    "Phase",
    "Setting",
    "Write",
    "capacitor_latencies",
    "interleaved",
    "latency_row",
    "payload",
    "watcher_latencies",
]

#: Seconds any one change may take before the benchmark gives up.
DEADLINE = 5.0

#: Writes one value to the benchmark's key and returns once the server has stored it.
Write = Callable[[bytes], Awaitable[object]]
#: Measures ``count`` samples numbered from ``start``; returns their latencies in seconds.
Phase = Callable[[int, int], Awaitable[list[float]]]


class Setting(pydantic.BaseModel):
    """The model the Capacitor validates every written value against."""

    value: int
    name: str


def payload(i: int) -> bytes:
    """Sample ``i``'s JSON (a :class:`Setting`)."""
    return b'{"value": %d, "name": "latency-benchmark"}' % i


async def watcher_latencies(watcher: Watcher, write: Write, start: int, count: int) -> list[float]:
    """Write → ``watcher.changes()`` yields the new bytes; the watcher is closed at the end."""
    await write(payload(start - 1))
    changes = aiter(watcher.changes())
    latencies: list[float] = []
    try:
        first = await asyncio.wait_for(anext(changes), DEADLINE)
        assert first.value == payload(start - 1)
        for i in range(start, start + count):
            began = time.perf_counter()
            await write(payload(i))
            change = await asyncio.wait_for(anext(changes), DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert change.value == payload(i), (change, i)
    finally:
        await watcher.aclose()
        closer = getattr(changes, "aclose", None)
        if closer is not None:
            await closer()
    return latencies


async def capacitor_latencies(uri: str, write: Write, start: int, count: int) -> list[float]:
    """Write → ``on_change`` receives the validated :class:`Setting` through a Capacitor."""
    await write(payload(start - 1))
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
            await write(payload(i))
            setting = await asyncio.wait_for(arrived, DEADLINE)
            latencies.append(time.perf_counter() - began)
            assert setting.value == i, (setting, i)
    return latencies


async def interleaved(
    phases: Mapping[str, Phase], samples: int, *, warmup: int, rounds: int
) -> dict[str, list[float]]:
    """Every phase warmed once, then ``rounds`` rounds of each: ``samples`` latencies per phase."""
    results: dict[str, list[float]] = {name: [] for name in phases}
    per_round = -(-samples // rounds)
    counter = 1
    for phase in phases.values():  # warm every path once (imports, connections)
        await phase(counter, warmup)
        counter += warmup + 1
    for _ in range(rounds):
        for name, phase in phases.items():
            results[name] += await phase(counter, per_round)
            counter += per_round + 1
    return results


def latency_row(
    what: str,
    flow: list[float],
    baseline: list[float],
    baseline_name: str,
    pct: int,
    goal: float | None = None,
) -> Row:
    """One table row: the ``pct`` percentile of ``flow`` against ``baseline``, in µs."""
    return Row(
        f"{what}, p{pct}",
        percentile(flow, pct) * 1e6,
        percentile(baseline, pct) * 1e6,
        baseline_name,
        "µs",
        goal=goal,
    )
