"""Orchestration overhead: 1,000 no-op assets with their records persisted to SQLite.

Run: ``uv run python benchmarks/assets_overhead.py``

Three figures per graph shape (a chain, and a wide fan-in: 999 leaves into one
sink), in µs per asset, measured in the same run:

* **Flow**: ``materialize_all`` with a SQLite metadata store in a temp project
  (every materialization and lineage edge persisted; memory IO manager).
* **plain Python** (the limit): calling the same functions in order, passing values.
* **Dagster** (the peer): ``dagster.materialize`` in-process of the same graph.
  Dagster is installed in a throwaway venv (``$DAGSTER_PYTHON``, default
  ``/tmp/flow-bench-dagster``; created with ``uv venv`` + ``uv pip install dagster``
  when missing) and timed in a subprocess, never in the workspace lock.
  It runs ``DAGSTER_SIZE`` assets (default 200: at ~10 ms per asset a
  1,000-asset graph takes minutes); its figure is per asset.

Goal: Flow ≥ 100x faster than Dagster per asset (the 'times faster' rows).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flow.assets import Asset, Definitions, asset, materialize_all
from flow.store import MetadataStore

from benchmarks.harness import Row, report

SIZE = 1000
REPEAT = 5
DAGSTER_SIZE = int(os.environ.get("DAGSTER_SIZE", "200"))
DAGSTER_VENV = Path(os.environ.get("DAGSTER_VENV", "/tmp/flow-bench-dagster"))

DAGSTER_SCRIPT = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.filterwarnings("ignore")
    from dagster import AssetIn, DagsterInstance, asset, materialize

    size = int(sys.argv[1])

    def chain():
        out = []
        for i in range(size):
            if i == 0:
                @asset(name="a0")
                def first():
                    return 1
                out.append(first)
            else:
                @asset(name=f"a{i}", ins={"up": AssetIn(key=f"a{i - 1}")})
                def step(up):
                    return 1
                out.append(step)
        return out

    def fan():
        out = []
        for i in range(size - 1):
            @asset(name=f"leaf{i}")
            def leaf():
                return 1
            out.append(leaf)
        @asset(name="sink", deps=[f"leaf{i}" for i in range(size - 1)])
        def sink():
            return 1
        out.append(sink)
        return out

    result = {}
    for name, build in (("chain", chain), ("fan-in", fan)):
        assets = build()
        with DagsterInstance.ephemeral() as instance:
            start = time.perf_counter()
            outcome = materialize(assets, instance=instance)
            elapsed = time.perf_counter() - start
        assert outcome.success
        result[name] = elapsed / size
    print(json.dumps(result))
    """
)


def noop(**upstream: Any) -> int:
    return 1


def chain() -> list[Asset]:
    keys = [f"a{i}" for i in range(SIZE)]
    return [
        asset(name=k, deps=[keys[i - 1]] if i else [], register=False)(noop)
        for i, k in enumerate(keys)
    ]


def fan_in() -> list[Asset]:
    leaves = [asset(name=f"leaf{i}", register=False)(noop) for i in range(SIZE - 1)]
    sink = asset(name="sink", deps=[a.key for a in leaves], register=False)(noop)
    return [*leaves, sink]


def plain(items: list[Asset]) -> Callable[[], None]:
    """The same functions called directly in dependency order, values passed on."""
    order = [(a.fn, [(d, a.inputs[d]) for d in a.deps]) for a in items]

    def run() -> None:
        values: dict[str, Any] = {}
        for (fn, ins), item in zip(order, items, strict=True):
            values[item.key] = fn(**{param: values[dep] for dep, param in ins})

    return run


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def flow_per_asset(items: list[Asset], store: MetadataStore, parallel: int) -> float:
    defs = Definitions(items)

    def run() -> None:
        result = materialize_all(definitions=defs, store=store, parallel=parallel)
        assert result.ok, result.status

    return best(run) / len(items)


def dagster_python() -> Path | None:
    explicit = os.environ.get("DAGSTER_PYTHON")
    if explicit:
        return Path(explicit)
    python = DAGSTER_VENV / "bin" / "python"
    if python.exists():
        return python
    uv = shutil.which("uv")
    if uv is None:
        return None
    subprocess.run([uv, "venv", "-q", str(DAGSTER_VENV), "--python", "3.11"], check=True)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(python), "dagster"], check=True)
    return python


def dagster_per_asset() -> tuple[dict[str, float] | None, str]:
    try:
        python = dagster_python()
    except subprocess.CalledProcessError as exc:
        return None, f"Dagster could not be installed: {exc}"
    if python is None:
        return None, "Dagster not measured: uv is not on PATH to install it"
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "DAGSTER_HOME": home}
        done = subprocess.run(
            [str(python), "-c", DAGSTER_SCRIPT, str(DAGSTER_SIZE)],
            capture_output=True,
            text=True,
            env=env,
            check=False,
            timeout=3600,
        )
    if done.returncode != 0:
        return None, f"Dagster run failed: {done.stderr.strip()[-500:]}"
    version = subprocess.run(
        [str(python), "-c", "import dagster; print(dagster.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    return json.loads(done.stdout.strip().splitlines()[-1]), f"dagster {version}"


def main() -> None:
    rows: list[Row] = []
    notes: list[str] = []
    peer, peer_note = dagster_per_asset()
    notes.append(
        f"Dagster: {peer_note}, {DAGSTER_SIZE} assets per graph, in-process materialize, "
        "ephemeral instance (best of 1)."
        if peer
        else peer_note
    )
    with tempfile.TemporaryDirectory() as project, MetadataStore.open(project_dir=project) as store:
        for shape, items in (("chain", chain()), ("fan-in", fan_in())):
            limit = best(plain(items)) / len(items)
            for parallel in (1, 4):
                flow_s = flow_per_asset(items, store, parallel)
                what = f"{shape}, {SIZE} assets, parallel={parallel}"
                rows.append(
                    Row(
                        f"{what} vs plain calls",
                        flow_s * 1e6,
                        limit * 1e6,
                        "plain Python calls",
                        "µs/asset",
                    )
                )
                if peer:
                    rows.append(
                        Row(
                            f"{what}: Dagster per asset",
                            flow_s * 1e6,
                            peer[shape] * 1e6,
                            "dagster.materialize",
                            "µs/asset",
                        )
                    )
                    rows.append(
                        Row(
                            f"{what}: times faster than Dagster",
                            peer[shape] / flow_s,
                            1.0,
                            "Dagster = 1x",
                            "x",
                            lower_is_better=False,
                            goal=100.0,
                        )
                    )
                notes.append(
                    f"{what}: overhead over plain calls {(flow_s - limit) * 1e6:.1f} µs/asset "
                    "(record + lineage persisted to SQLite)."
                )
    report("Orchestration overhead: materialize no-op assets, records persisted", rows, notes=notes)


if __name__ == "__main__":
    main()
