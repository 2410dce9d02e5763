"""Capacitor engine overhead and storm behaviour (issue: live configuration engine).

Rows:
* per change, ChannelWatcher -> applied, validated model, against calling
  ``Model.model_validate_json`` on the same bytes (the baseline);
* a storm of 100,000 changes with ``debounce=0.05, max_wait=0.5``: the final
  value is applied while validations stay far below changes received.

Run: ``uv run python -m benchmarks.live_engine``
"""

from __future__ import annotations

import asyncio
import json
import time

import pydantic
from flow.live.capacitor import Capacitor
from flow.testing import ChannelWatcher

from benchmarks.harness import Row, report


class Database(pydantic.BaseModel):
    host: str
    port: int
    user: str
    password: pydantic.SecretStr
    pool_size: int = 10


class Features(pydantic.BaseModel):
    new_ui: bool = False
    beta: list[str] = []
    limits: dict[str, int] = {}


class AppConfig(pydantic.BaseModel):
    name: str
    version: int
    debug: bool
    database: Database
    features: Features
    allowed_hosts: list[str]


def payloads(n: int) -> list[bytes]:
    return [
        json.dumps(
            {
                "name": "app",
                "version": i,
                "debug": i % 2 == 0,
                "database": {"host": "db", "port": 5432, "user": "u", "password": "p"},
                "features": {"new_ui": True, "beta": ["a", "b"], "limits": {"x": i, "y": 2}},
                "allowed_hosts": ["a.example", "b.example"],
            }
        ).encode()
        for i in range(n)
    ]


def baseline_per_change(data: list[bytes]) -> float:
    start = time.perf_counter()
    for item in data:
        AppConfig.model_validate_json(item)
    return (time.perf_counter() - start) / len(data)


async def flow_per_change(data: list[bytes]) -> float:
    channel = ChannelWatcher(data[0])
    cap = Capacitor(channel, model=AppConfig)
    await cap.start()
    for item in data[1:]:
        channel.push(item)
    start = time.perf_counter()
    await cap.wait_for(lambda c: c.counters.applied == len(data), timeout=120)
    elapsed = time.perf_counter() - start
    await cap.aclose()
    return elapsed / (len(data) - 1)


async def storm(n: int) -> tuple[float, int, int, bool]:
    data = payloads(n)
    channel = ChannelWatcher(data[0])
    cap = Capacitor(channel, model=AppConfig, debounce=0.05, max_wait=0.5)
    await cap.start()
    start = time.perf_counter()
    for index, item in enumerate(data[1:], 1):
        channel.push(item)
        if index % 1000 == 0:
            await asyncio.sleep(0)  # let the watcher deliver as a real source would
    last = AppConfig.model_validate_json(data[-1])
    await cap.wait_for(lambda c: c.current == last, timeout=60)
    elapsed = time.perf_counter() - start
    received, validations = cap.counters.received, cap.counters.processed
    await cap.aclose()
    return elapsed, received, validations, True


def main() -> None:
    data = payloads(20_001)
    for _ in range(2):  # warm up both paths
        baseline_per_change(data[:2000])
        asyncio.run(flow_per_change(data[:2000]))
    base = min(baseline_per_change(data) for _ in range(3))
    mine = min(asyncio.run(flow_per_change(data)) for _ in range(3))
    elapsed, received, validations, final_ok = asyncio.run(storm(100_000))
    report(
        "Capacitor engine: ChannelWatcher -> applied model, per change",
        [
            Row(
                "per change (20,000 changes)",
                mine * 1e6,
                base * 1e6,
                "Model.model_validate_json",
                "µs",
                goal=2.0,
            ),
        ],
    )
    report(
        "Storm: 100,000 changes, debounce=0.05, max_wait=0.5",
        [
            Row(
                "validations performed vs changes received",
                validations,
                received,
                "changes received",
                "count",
                goal=0.01,
            ),
        ],
        notes=[
            f"final value applied: {final_ok}; storm took {elapsed:.2f} s "
            f"({received / elapsed:,.0f} changes/s received)."
        ],
    )


if __name__ == "__main__":
    main()
