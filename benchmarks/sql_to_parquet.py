"""SQL (PostgreSQL) → parquet of N rows (default 5M): Flow's sql home against the raw ADBC path.

Both sides read the same table of a PostgreSQL server started here (on a free
loopback port, stopped by PID) and write one zstd parquet file with
``pyarrow.parquet.ParquetWriter``:

- flow: ``flow_io_sql``'s ``SqlHome`` (``engine: auto``, which picks ADBC for
  PostgreSQL) feeding the writer through the core runner's bounded
  producer/consumer (``flow.dataflows._pump.pump``, what ``flow run`` uses
  between a home and a store), with the default batch size of 65,536 rows;
- raw (the limit): ADBC ``fetch_record_batch()`` → ``ParquetWriter``, the fastest
  raw path measured here (connectorx 0.4 streamed 0.4-0.5M rows/s against ADBC's
  0.6-0.9M rows/s on the same table, see flow-io-sql's README).

``--sqlalchemy`` adds Flow's portable path (``engine: sqlalchemy``, a server-side
cursor) on the same rows, for information.

The table is generated with ``INSERT ... SELECT generate_series`` (six columns:
bigint, timestamptz, text, double, int, bool). The ADBC driver comes with
flow-io-sql's dev group, so run:
``uv run --isolated --package flow-io-sql python -m benchmarks.sql_to_parquet [--rows N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import Row, report

COMPRESSION = "zstd"
TABLE_SQL = """
CREATE TABLE bench AS
SELECT g::bigint AS id,
       timestamptz '2026-01-01' + g * interval '1 second' AS updated_at,
       'name-' || g AS name,
       g * 1.5::float8 AS amount,
       (g % 97)::int AS category,
       (g % 2 = 0) AS flag
FROM generate_series(1, %(rows)s) AS g
"""


def generate(url: str, rows: int) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(TABLE_SQL.replace("%(rows)s", str(int(rows))).encode())
        conn.execute(b"VACUUM ANALYZE bench")


def raw_adbc(url: str, out: Path) -> int:
    """The baseline: ADBC record batches straight into a ParquetWriter."""
    import adbc_driver_postgresql.dbapi as pgdb  # type: ignore[import-not-found,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    rows = 0
    with pgdb.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT * FROM bench")
        reader = cursor.fetch_record_batch()
        writer = None
        try:
            for batch in reader:
                if writer is None:
                    writer = pq.ParquetWriter(out, batch.schema, compression=COMPRESSION)
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            if writer is not None:
                writer.close()
    return rows


async def flow_home(url: str, out: Path, engine: str, tmp: Path) -> int:
    """Flow: the sql home's batches written by a ParquetWriter through the runner's pump."""
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]
    from flow.dataflows._pump import Counter, open_batches, pump
    from flow.dataflows.protocols import EntitySpec, StoreConfig
    from flow_io_sql.config import SqlHomeConfig
    from flow_io_sql.home import SqlHome

    spec = EntitySpec(
        flow="bench",
        name="bench",
        home=SqlHomeConfig(type="sql", connection=url, table="bench", engine=engine),  # type: ignore[arg-type,unused-ignore]
        store=StoreConfig(type="parquet-writer"),
        project_dir=tmp,
    )
    home = SqlHome(spec)
    state: dict[str, Any] = {}

    def write(batch: Any) -> None:
        if "writer" not in state:
            state["writer"] = pq.ParquetWriter(out, batch.schema, compression=COMPRESSION)
        state["writer"].write_batch(batch)

    async def write_async(batch: Any) -> None:
        await asyncio.to_thread(write, batch)

    counter = Counter()
    try:
        await pump(await open_batches(home.read(after=None)), write_async, counter, maxsize=4)
    finally:
        if "writer" in state:
            state["writer"].close()
    return counter.rows


def timed(fn: Any, *args: Any) -> tuple[float, int]:
    start = time.perf_counter()
    rows = fn(*args)
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="best of this many runs each")
    parser.add_argument("--sqlalchemy", action="store_true", help="also time engine: sqlalchemy")
    args = parser.parse_args()
    try:
        import adbc_driver_postgresql  # type: ignore[import-not-found,unused-ignore]  # noqa: F401
    except ImportError:
        sys.exit(
            "the ADBC PostgreSQL driver is missing: run with "
            "uv run --isolated --package flow-io-sql python -m benchmarks.sql_to_parquet"
        )
    from flow.testing.postgres import PostgresServer

    with PostgresServer() as server, tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        url = server.create_database()
        start = time.perf_counter()
        generate(url, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f} s", flush=True)
        work = Path(tmp)
        flow_best, raw_best = float("inf"), float("inf")
        for attempt in range(args.repeat):  # interleaved, so drift hits both alike
            seconds, rows = timed(raw_adbc, url, work / f"raw{attempt}.parquet")
            assert rows == args.rows, rows
            raw_best = min(raw_best, seconds)
            out = work / f"flow{attempt}.parquet"
            seconds, rows = timed(lambda out=out: asyncio.run(flow_home(url, out, "auto", work)))
            assert rows == args.rows, rows
            flow_best = min(flow_best, seconds)
            print(f"run {attempt + 1}: raw {raw_best:.2f} s, flow {flow_best:.2f} s", flush=True)
        rows_out = [
            Row(
                f"PostgreSQL → parquet, {args.rows:,} rows",
                args.rows / flow_best,
                args.rows / raw_best,
                "ADBC → ParquetWriter",
                "rows/s",
                lower_is_better=False,
                goal=0.8,
            )
        ]
        notes = [
            "flow = flow_io_sql.SqlHome (engine auto → ADBC) through the runner's pump into a "
            f"ParquetWriter; both write {COMPRESSION} parquet; best of {args.repeat}, interleaved.",
        ]
        if args.sqlalchemy:
            seconds, rows = timed(
                lambda: asyncio.run(flow_home(url, work / "sa.parquet", "sqlalchemy", work))
            )
            notes.append(
                f"flow with engine: sqlalchemy (server-side cursor, psycopg): "
                f"{rows / seconds:,.0f} rows/s on the same {rows:,} rows"
            )
        report("SQL (PostgreSQL) → parquet", rows_out, notes=notes)


if __name__ == "__main__":
    main()
