"""Parquet → parquet copy of N rows (default 10M): Flow's data flow against raw copies and dlt.

Each contender runs in its own child process (so its peak RSS can be sampled)
and times only the movement itself:

- flow: a ``flows/bench/flow.yml`` parquet → parquet entity run by the core runner
  (what ``flow run`` calls), metadata in SQLite;
- pyarrow: ``pyarrow.dataset`` scan + ``pyarrow.parquet.ParquetWriter`` (the raw copy);
- polars: ``scan_parquet(...).sink_parquet(...)`` (the raw copy, streaming engine);
- dlt (the peer): the same Arrow batches loaded to a filesystem parquet destination,
  in a throwaway venv (``uv venv /tmp/dlt-venv && uv pip install --python
  /tmp/dlt-venv 'dlt[parquet,filesystem]'``).

Run: ``uv run --group bench python -m benchmarks.parquet_copy [--rows N] [--rss-rows N]
[--repeat N]``. The contenders run interleaved, ``--repeat`` rounds (medians reported).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import psutil  # type: ignore[import-untyped]

from benchmarks.harness import Row, report

DLT_PYTHON = Path("/tmp/dlt-venv/bin/python")
COMPRESSION: Final = "zstd"  # every contender writes zstd: the defaults differ, the work must not


def generate(rows: int, target: Path, files: int) -> None:
    """Write ``rows`` generated rows (11 columns, ~100 bytes/row in memory) as ``files`` files."""
    import pyarrow as pa  # type: ignore[import-untyped]
    import pyarrow.compute as pc  # type: ignore[import-untyped]
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    target.mkdir(parents=True)
    per = -(-rows // files)
    for number in range(files):
        start, count = number * per, min(per, rows - number * per)
        if count <= 0:
            break
        ids = pc.add(pc.indices_nonzero(pa.repeat(True, count)).cast(pa.int64()), start)

        def rnd(k: int, n: int = count, no: int = number) -> pa.Array:
            return pc.random(n, initializer=no * 100 + k)

        table = pa.table(
            {
                "id": ids,
                "ts": pc.cast(pc.add(ids, 1_704_067_200_000_000), pa.timestamp("us")),
                "i1": pc.cast(pc.floor(pc.multiply(rnd(1), 1000)), pa.int64()),
                "i2": pc.cast(pc.floor(pc.multiply(rnd(2), 1e6)), pa.int64()),
                "f1": rnd(3),
                "f2": pc.multiply(rnd(4), 100.0),
                "s1": pc.binary_join_element_wise(
                    "customer-", pc.cast(pc.bit_wise_and(ids, 65535), pa.string()), ""
                ),
                "s2": pc.take(
                    pa.array(["new", "paid", "shipped", "done", "void"]),
                    pc.cast(pc.floor(pc.multiply(rnd(5), 5)), pa.int64()),
                ),
                "s3": pc.binary_join_element_wise(
                    "order note ", pc.cast(pc.floor(pc.multiply(rnd(6), 1e9)), pa.string()), ""
                ),
                "b": pc.greater(rnd(7), 0.5),
                "d": pc.cast(pc.floor(pc.multiply(rnd(8), 1e6)), pa.int32()),
            }
        )
        pq.write_table(table, target / f"part-{number:03d}.parquet", compression=COMPRESSION)


# -- the contenders (each runs in a child process, prints {"seconds": .., "cpu": ..}) -------
# ``cpu`` is the process's CPU time (all threads) during the movement: it shows the work
# done, which a busy shared machine disturbs far less than the wall time.
def child_flow(src: Path, work: Path, batch_size: int) -> tuple[float, float]:
    import asyncio

    from flow.dataflows.config import load_flows
    from flow.dataflows.runner import Runner
    from flow.store import MetadataStore

    (work / "flows" / "bench").mkdir(parents=True)
    (work / "flows" / "bench" / "flow.yml").write_text(
        "entities:\n  rows:\n"
        f"    home: {{type: parquet, path: {src}}}\n"
        f"    store: {{type: parquet, path: out/rows, compression: {COMPRESSION}}}\n"
        f"    batch_size: {batch_size}\n"
    )
    flows = load_flows(["bench"], project_dir=work)
    with MetadataStore.open(project_dir=work) as metadata:
        started, cpu = time.perf_counter(), time.process_time()
        result = asyncio.run(Runner(flows, metadata).run())
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if not result.ok:
        raise SystemExit(f"flow run failed: {result.entities}")
    return seconds, cpu


def child_pyarrow(src: Path, work: Path, batch_size: int) -> tuple[float, float]:
    import pyarrow.dataset as ds  # type: ignore[import-untyped]
    import pyarrow.parquet as pq

    started, cpu = time.perf_counter(), time.process_time()
    dataset = ds.dataset(src, format="parquet")
    with pq.ParquetWriter(work / "out.parquet", dataset.schema, compression=COMPRESSION) as out:
        for batch in dataset.to_batches(batch_size=batch_size):
            out.write_batch(batch)
    return time.perf_counter() - started, time.process_time() - cpu


def child_polars(src: Path, work: Path, batch_size: int) -> tuple[float, float]:
    import polars as pl

    started, cpu = time.perf_counter(), time.process_time()
    pl.scan_parquet(src / "*.parquet").sink_parquet(work / "out.parquet", compression=COMPRESSION)
    return time.perf_counter() - started, time.process_time() - cpu


DLT_CHILD = textwrap.dedent(
    """
    import json, sys, time
    import dlt, pyarrow.dataset as ds
    src, work, batch_size = sys.argv[1], sys.argv[2], int(sys.argv[3])

    @dlt.resource(name="rows", write_disposition="replace")
    def rows():
        yield from ds.dataset(src, format="parquet").to_batches(batch_size=batch_size)

    pipeline = dlt.pipeline(
        pipeline_name="bench", pipelines_dir=work + "/pipelines", dataset_name="bench",
        destination=dlt.destinations.filesystem(bucket_url="file://" + work + "/out"),
    )
    started, cpu = time.perf_counter(), time.process_time()
    pipeline.run(rows(), loader_file_format="parquet")
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu}))
    """
)


@dataclass
class Runs:
    """Every run of one contender: wall seconds, CPU seconds and peak RSS (MiB)."""

    seconds: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss: list[float] = field(default_factory=list)

    def median(self, what: str) -> float:
        values: list[float] = getattr(self, what)
        return statistics.median(values)


def run_child(kind: str, src: Path, batch_size: int, runs: Runs) -> None:
    """Run one contender once, in a fresh child process and work dir; append to ``runs``."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    try:
        if kind == "dlt":
            command = [str(DLT_PYTHON), "-c", DLT_CHILD, str(src), str(work), str(batch_size)]
        else:
            command = [sys.executable, "-m", "benchmarks.parquet_copy", "--child", kind,
                       str(src), str(work), str(batch_size)]  # fmt: skip
        proc = psutil.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        peak = 0
        while proc.poll() is None:
            try:
                peak = max(peak, proc.memory_info().rss)
            except psutil.NoSuchProcess:
                break
            time.sleep(0.02)  # sampling interval of the RSS probe, not synchronisation
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise RuntimeError(f"{kind} failed ({proc.returncode}):\n{err[-3000:]}")
        answer = json.loads(out.strip().splitlines()[-1])
        runs.seconds.append(float(answer["seconds"]))
        runs.cpu.append(float(answer["cpu"]))
        runs.rss.append(peak / 2**20)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def interleaved(kinds: list[str], src: Path, batch_size: int, repeat: int) -> dict[str, Runs]:
    """``repeat`` rounds, each running every contender once, in an order rotated per round.

    Why: the machine is shared, so its load drifts; interleaving spreads the drift
    over every contender, and medians drop the outliers.
    """
    results = {kind: Runs() for kind in kinds}
    for round_ in range(repeat):
        shift = round_ % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            run_child(kind, src, batch_size, results[kind])
    return results


CHILDREN = {"flow": child_flow, "pyarrow": child_pyarrow, "polars": child_polars}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rss-rows", type=int, default=1_000_000, help="the small RSS point")
    parser.add_argument("--batch-size", type=int, default=65_536)
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (medians)")
    parser.add_argument("--child", nargs=4, metavar=("KIND", "SRC", "WORK", "BATCH"))
    args = parser.parse_args()
    if args.child:
        kind, src, work, batch = args.child
        seconds, cpu = CHILDREN[kind](Path(src), Path(work), int(batch))
        print(json.dumps({"seconds": seconds, "cpu": cpu}))
        return
    root = Path(tempfile.mkdtemp(prefix="bench-parquet-"))
    try:
        big, small = root / "big", root / "small"
        generate(args.rows, big, files=max(1, args.rows // 1_000_000))
        generate(args.rss_rows, small, files=max(1, args.rss_rows // 1_000_000))
        kinds = [*CHILDREN, "dlt"] if DLT_PYTHON.exists() else list(CHILDREN)
        results = interleaved(kinds, big, args.batch_size, args.repeat)
        small_results = interleaved(["flow", "polars"], small, args.batch_size, args.repeat)
        rows_, notes = _rows(args, results, small_results)
        if not DLT_PYTHON.exists():
            notes.append(f"dlt skipped: {DLT_PYTHON} missing (see the module docstring)")
        report("Parquet → parquet copy", rows_, notes=notes)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _rows(
    args: argparse.Namespace, results: dict[str, Runs], small: dict[str, Runs]
) -> tuple[list[Row], list[str]]:
    rate = {kind: args.rows / runs.median("seconds") for kind, runs in results.items()}
    fastest = max(("pyarrow", "polars"), key=lambda k: rate[k])
    what = f"copy {args.rows:,} rows"
    rows_ = [
        Row(what, rate["flow"], rate[kind], f"raw {kind}", "rows/s", lower_is_better=False,
            goal=0.9 if kind == fastest else None)
        for kind in ("pyarrow", "polars")
    ]  # fmt: skip
    if "dlt" in rate:
        rows_.append(Row(what, rate["flow"], rate["dlt"], "dlt (peer)", "rows/s",
                         lower_is_better=False, goal=2.0))  # fmt: skip
    flow_cpu, raw_cpu = results["flow"].median("cpu"), results[fastest].median("cpu")
    rows_.append(Row(f"CPU s to {what}", flow_cpu, raw_cpu, f"raw {fastest}", "s"))
    flow_rss, small_rss = results["flow"].median("rss"), small["flow"].median("rss")
    rows_ += [
        Row(f"peak RSS at {args.rss_rows:,} rows", small_rss, small["polars"].median("rss"),
            "raw polars", "MiB"),
        Row(f"peak RSS at {args.rows:,} rows", flow_rss, results[fastest].median("rss"),
            f"raw {fastest}", "MiB"),
        Row(f"flow peak RSS {args.rows:,} vs {args.rss_rows:,} rows", flow_rss, small_rss,
            f"flow at {args.rss_rows:,}", "MiB", goal=1.5),
    ]  # fmt: skip
    notes = [
        f"{kind}: median {runs.median('seconds'):.2f} s (runs: "
        + ", ".join(f"{s:.2f}" for s in runs.seconds)
        + f"), {rate[kind] / 1e6:.2f}M rows/s, CPU {runs.median('cpu'):.2f} s, "
        f"peak RSS {runs.median('rss'):.0f} MiB"
        for kind, runs in results.items()
    ]
    notes.append(
        f"{args.repeat} interleaved rounds, medians; batch_size {args.batch_size}; every "
        f"contender writes {COMPRESSION} at its library's default level; flow's time is the "
        "whole Runner.run() (metadata records included)"
    )
    return rows_, notes


if __name__ == "__main__":
    main()
