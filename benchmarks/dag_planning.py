"""Planning a 100,000-asset DAG against ``graphlib.TopologicalSorter`` in one run.

Run: ``uv run python benchmarks/dag_planning.py``

Flow's figure is ``AssetGraph(assets)``: the unknown-dependency check, the
cycle check and the topological order (what every materialization plans on).
The baseline is ``list(graphlib.TopologicalSorter(deps).static_order())`` over
the same dependencies. The graph: each asset depends on up to three earlier
ones (seeded random), plus a long chain and a wide fan-in. Goal: ≤ 1.5x.
"""

from __future__ import annotations

import gc
import graphlib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.assets import Asset, asset
from flow.assets.dag import AssetGraph

from benchmarks.harness import Row, report

SIZE = 100_000
REPEAT = 5


def noop(**kwargs: object) -> int:
    return 1


def build(size: int) -> dict[str, Asset]:
    rng = random.Random(6)
    assets: dict[str, Asset] = {}
    keys: list[str] = []
    for i in range(size):
        key = f"asset_{i}"
        if i < 1000:  # a chain
            deps = [keys[-1]] if keys else []
        elif i == size - 1:  # a fan-in over a thousand assets
            deps = keys[-1000:]
        else:
            deps = rng.sample(keys, k=min(len(keys), rng.randint(0, 3)))
        assets[key] = asset(name=key, deps=deps, register=False)(noop)
        keys.append(key)
    return assets


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    assets = build(SIZE)
    deps = {key: item.deps for key, item in assets.items()}
    flow_order = AssetGraph(assets).order
    base_order = list(graphlib.TopologicalSorter(deps).static_order())
    assert len(flow_order) == len(base_order) == SIZE
    position = {key: i for i, key in enumerate(flow_order)}
    assert all(position[d] < position[k] for k, ds in deps.items() for d in ds)

    flow_s = best(lambda: AssetGraph(assets))
    base_s = best(lambda: list(graphlib.TopologicalSorter(deps).static_order()))
    edges = sum(len(d) for d in deps.values())
    report(
        f"DAG planning: {SIZE:,} assets, {edges:,} edges",
        [
            Row(
                "plan (validate + order)",
                flow_s * 1000,
                base_s * 1000,
                "graphlib.TopologicalSorter",
                "ms",
                goal=1.5,
            ),
            Row(
                "per asset",
                flow_s / SIZE * 1e6,
                base_s / SIZE * 1e6,
                "graphlib.TopologicalSorter",
                "µs",
                goal=1.5,
            ),
        ],
        notes=[f"best of {REPEAT}; Flow also checks every dependency exists and names cycles."],
    )


if __name__ == "__main__":
    main()
