"""Shared helpers for benchmarks: timing, percentiles, and the figure/baseline/ratio table.

Every benchmark measures Flow and its baseline (or peer) in the same run and
prints one table through :func:`report`.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass

__all__ = ["Row", "micro", "percentile", "profiled", "report", "time_per_call"]


@dataclass(frozen=True)
class Row:
    """One comparison: Flow's figure against a baseline's, in one unit.

    ``ratio`` is flow / baseline; ``goal`` (optional) is the ratio to meet,
    read as an upper bound when ``lower_is_better`` and a lower bound otherwise.
    """

    what: str
    flow: float
    baseline: float
    baseline_name: str
    unit: str
    lower_is_better: bool = True
    goal: float | None = None

    @property
    def ratio(self) -> float:
        return self.flow / self.baseline if self.baseline else float("inf")

    @property
    def meets_goal(self) -> bool | None:
        if self.goal is None:
            return None
        return self.ratio <= self.goal if self.lower_is_better else self.ratio >= self.goal


def percentile(samples: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) of ``samples`` by nearest rank."""
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def time_per_call(fn: Callable[[], object], *, number: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` seconds per call of ``fn`` over ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - start) / number)
    return best


def _fmt(value: float) -> str:
    if value == 0 or 0.01 <= abs(value) < 100_000:
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    return f"{value:,.4g}"


def report(title: str, rows: Sequence[Row], *, notes: Sequence[str] = ()) -> None:
    """Print the table (markdown, so it pastes into benchmarks/README.md).

    With ``BENCH_JSON=1`` also print one JSON line per row for machines.
    """
    print(f"\n### {title}\n")
    print("| what | flow | baseline | baseline is | unit | ratio (flow/baseline) | goal | met |")
    print("|---|---:|---:|---|---|---:|---:|---|")
    for row in rows:
        goal = "" if row.goal is None else ("≤ " if row.lower_is_better else "≥ ") + _fmt(row.goal)
        met = {None: "", True: "yes", False: "**no**"}[row.meets_goal]
        print(
            f"| {row.what} | {_fmt(row.flow)} | {_fmt(row.baseline)} | {row.baseline_name} | "
            f"{row.unit} | {row.ratio:.2f}x | {goal} | {met} |"
        )
    for note in notes:
        print(f"\n{note}")
    print(f"\n_python {sys.version.split()[0]}, {os.cpu_count()} cpus_")
    if os.environ.get("BENCH_JSON") == "1":
        for row in rows:
            print(json.dumps({**asdict(row), "ratio": row.ratio, "title": title}))
    sys.stdout.flush()


def median(samples: Sequence[float]) -> float:
    """The median of ``samples``."""
    return statistics.median(samples)


def micro(seconds: float) -> float:
    """Seconds as microseconds."""
    return seconds * 1e6


@contextlib.contextmanager
def profiled(enabled: bool) -> Iterator[None]:
    """Run the body under pyinstrument and print its profile (``--profile``), or just run it."""
    if not enabled:
        yield
        return
    # Imported by name: only --profile needs it (uv run --group bench ...).
    profiler = importlib.import_module("pyinstrument").Profiler(
        interval=0.0001, async_mode="disabled"
    )
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
