"""Per-call overhead of Pipeline against a bare ``await fn()``, in one run.

Run: ``uv run python benchmarks/pipeline_overhead.py``

Rows: an empty ``Pipeline()`` (it sits on the config hot path),
``Pipeline(retry(3), timeout(1))``, and the same pair against a hand-written
``for``/``try`` + ``asyncio.timeout`` loop (what you would write without Flow).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.pipeline import Pipeline, retry, timeout

from benchmarks.harness import Row, report

NUMBER = 100_000
REPEAT = 7


async def work() -> int:
    return 1


async def per_call(run: Callable[[], Awaitable[object]]) -> float:
    """Best-of-REPEAT seconds per call of ``run`` over NUMBER calls."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.perf_counter()
        for _ in range(NUMBER):
            await run()
        best = min(best, (time.perf_counter() - start) / NUMBER)
    return best


async def hand_written() -> int:
    for attempt in range(3):
        try:
            async with asyncio.timeout(1):
                return await work()
        except Exception:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


async def measure() -> list[Row]:
    empty = Pipeline()
    staged = Pipeline(retry(3), timeout(1))
    wrapped = staged.wrap(work)

    async def bare() -> int:
        return await work()

    async def through_empty() -> int:
        return await empty(work)

    async def through_staged() -> int:
        return await staged(work)

    ns = 1e9
    base = await per_call(bare) * ns
    hand = await per_call(hand_written) * ns
    empty_ns = await per_call(through_empty) * ns
    staged_ns = await per_call(through_staged) * ns
    wrapped_ns = await per_call(wrapped) * ns
    by_hand = "hand-written retry loop + asyncio.timeout"
    return [
        Row("Pipeline()", empty_ns, base, "await fn()", "ns/call"),
        Row("Pipeline(retry(3), timeout(1))", staged_ns, base, "await fn()", "ns/call"),
        Row("Pipeline(retry(3), timeout(1))", staged_ns, hand, by_hand, "ns/call", goal=2.0),
        Row("….wrap(fn)", wrapped_ns, hand, by_hand, "ns/call", goal=2.0),
    ]


def main() -> None:
    rows = asyncio.run(measure())
    overhead = rows[0].flow - rows[0].baseline
    report(
        "Pipeline per-call overhead",
        rows,
        notes=[
            f"Empty Pipeline() adds {overhead:.0f} ns per call over a bare await.",
            f"Best of {REPEAT} runs of {NUMBER:,} sequential calls of a trivial coroutine.",
        ],
    )


if __name__ == "__main__":
    main()
