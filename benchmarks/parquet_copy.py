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

Run: ``uv run --group bench python -m benchmarks.parquet_copy [--rows N] [--rss-rows N]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
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


# -- the contenders (each runs in a child process, prints {"seconds": ..}) -------------------
def child_flow(src: Path, work: Path, batch_size: int) -> float:
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
        started = time.perf_counter()
        result = asyncio.run(Runner(flows, metadata).run())
        seconds = time.perf_counter() - started
    if not result.ok:
        raise SystemExit(f"flow run failed: {result.entities}")
    return seconds


def child_pyarrow(src: Path, work: Path, batch_size: int) -> float:
    import pyarrow.dataset as ds  # type: ignore[import-untyped]
    import pyarrow.parquet as pq

    started = time.perf_counter()
    dataset = ds.dataset(src, format="parquet")
    with pq.ParquetWriter(work / "out.parquet", dataset.schema, compression=COMPRESSION) as out:
        for batch in dataset.to_batches(batch_size=batch_size):
            out.write_batch(batch)
    return time.perf_counter() - started


def child_polars(src: Path, work: Path, batch_size: int) -> float:
    import polars as pl

    started = time.perf_counter()
    pl.scan_parquet(src / "*.parquet").sink_parquet(work / "out.parquet", compression=COMPRESSION)
    return time.perf_counter() - started


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
    started = time.perf_counter()
    pipeline.run(rows(), loader_file_format="parquet")
    print(json.dumps({"seconds": time.perf_counter() - started}))
    """
)


def run_child(kind: str, src: Path, batch_size: int) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one contender, in a fresh child process and work dir."""
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
        seconds = float(json.loads(out.strip().splitlines()[-1])["seconds"])
        return seconds, peak / 2**20
    finally:
        shutil.rmtree(work, ignore_errors=True)


CHILDREN = {"flow": child_flow, "pyarrow": child_pyarrow, "polars": child_polars}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--rss-rows", type=int, default=1_000_000, help="the small RSS point")
    parser.add_argument("--batch-size", type=int, default=65_536)
    parser.add_argument("--child", nargs=4, metavar=("KIND", "SRC", "WORK", "BATCH"))
    args = parser.parse_args()
    if args.child:
        kind, src, work, batch = args.child
        seconds = CHILDREN[kind](Path(src), Path(work), int(batch))
        print(json.dumps({"seconds": seconds}))
        return
    root = Path(tempfile.mkdtemp(prefix="bench-parquet-"))
    try:
        rows_: list[Row] = []
        notes: list[str] = []
        big, small = root / "big", root / "small"
        generate(args.rows, big, files=max(1, args.rows // 1_000_000))
        generate(args.rss_rows, small, files=max(1, args.rss_rows // 1_000_000))
        results = {kind: run_child(kind, big, args.batch_size) for kind in CHILDREN}
        if DLT_PYTHON.exists():
            results["dlt"] = run_child("dlt", big, args.batch_size)
        else:
            notes.append(f"dlt skipped: {DLT_PYTHON} missing (see the module docstring)")
        rate = {kind: args.rows / seconds for kind, (seconds, _) in results.items()}
        fastest = max(("pyarrow", "polars"), key=lambda k: rate[k])
        for kind in ("pyarrow", "polars"):
            goal = 0.9 if kind == fastest else None
            what = f"copy {args.rows:,} rows"
            rows_.append(Row(what, rate["flow"], rate[kind], f"raw {kind}", "rows/s",
                             lower_is_better=False, goal=goal))  # fmt: skip
        if "dlt" in rate:
            rows_.append(Row(f"copy {args.rows:,} rows", rate["flow"], rate["dlt"], "dlt (peer)",
                             "rows/s", lower_is_better=False, goal=2.0))  # fmt: skip
        small_flow = run_child("flow", small, args.batch_size)
        small_raw = run_child(fastest, small, args.batch_size)
        rows_.append(Row(f"peak RSS at {args.rss_rows:,} rows", small_flow[1], small_raw[1],
                         f"raw {fastest}", "MiB"))  # fmt: skip
        rows_.append(Row(f"peak RSS at {args.rows:,} rows", results["flow"][1],
                         results[fastest][1], f"raw {fastest}", "MiB"))  # fmt: skip
        rows_.append(Row(f"flow peak RSS {args.rows:,} vs {args.rss_rows:,} rows",
                         results["flow"][1], small_flow[1], f"flow at {args.rss_rows:,}",
                         "MiB", goal=1.5))  # fmt: skip
        for kind, (seconds, rss) in results.items():
            notes.append(f"{kind}: {seconds:.2f} s, {rate[kind] / 1e6:.2f}M rows/s, {rss:.0f} MiB")
        notes.append(f"batch_size {args.batch_size}, compression {COMPRESSION} everywhere")
        report("Parquet → parquet copy", rows_, notes=notes)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
