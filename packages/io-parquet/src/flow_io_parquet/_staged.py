"""The store's part files in staging: batches gathered into row groups, encoded in threads.

Why row groups are handed to writer threads rather than each batch: gathering
batches into a row group is cheap (no copy) and runs on the event loop, so
``write()`` returns at once for most batches; only a full row group goes to a
writer thread, and the next ones are gathered while it is encoded. Encoding
(and compressing) is the costliest part of a copy, and pyarrow's writer
encodes one column after another, so ``writers`` part files are written in
parallel: row group ``j`` goes to part ``j % writers``, whose own thread
encodes its row groups in order (:func:`ordered_groups` reads them back in
the order they were written). At most ``writers + 1`` row groups are held (one
being encoded per part, one being gathered), so memory is bounded by
``row_group_size``, not by the dataset.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from ._errors import ParquetError

__all__ = ["StagedParts", "ordered_groups"]


class _Part:
    """One part file and the single thread that writes it (so its row groups stay in order)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None
        self.in_flight: concurrent.futures.Future[None] | None = None
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="flow-parquet-writer"
        )


class StagedParts:
    """Parquet part files ``<prefix>-00000.parquet`` … written from batches, in threads.

    Call :meth:`write` and :meth:`close` from the event loop; :meth:`discard`
    blocks (call it from a worker thread). ``timestamp`` names a column whose
    maximum is tracked (the new watermark), computed in the writer threads.
    """

    def __init__(
        self,
        prefix: Path,
        row_group_size: int,
        options: dict[str, Any],
        *,
        writers: int,
        timestamp: str | None,
    ) -> None:
        self.row_group_size = row_group_size
        self.options = options
        self.timestamp = timestamp
        self.schema: pa.Schema | None = None
        self.rows = 0  # rows handed to write()
        self._highs: list[Any] = []  # max(timestamp) per row group, appended by writer threads
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._groups = 0  # row groups handed off so far
        self._parts = [
            _Part(prefix.with_name(f"{prefix.name}-{n:05d}.parquet")) for n in range(writers)
        ]

    @property
    def max_timestamp(self) -> Any | None:
        """The largest ``timestamp`` value written (None without rows or timestamp column)."""
        highs = [h for h in self._highs if h is not None]
        return max(highs) if highs else None

    async def write(self, batch: pa.RecordBatch) -> None:
        """Add ``batch``; waits only while the part next in turn is still encoding."""
        if self.schema is None:
            self._first(batch.schema)
        elif batch.schema != self.schema:
            batch = self._conform(batch)
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        self.rows += batch.num_rows
        size = self.row_group_size
        if self._pending_rows >= size:
            table = pa.Table.from_batches(self._pending, schema=self.schema)
            full = (table.num_rows // size) * size
            rest = table.slice(full)
            self._pending = rest.to_batches() if rest.num_rows else []
            self._pending_rows = rest.num_rows
            for start in range(0, full, size):
                await self._hand_off(table.slice(start, size))

    async def close(self) -> None:
        """Write what is gathered, wait for the writer threads, close the files and threads."""
        try:
            if self.schema is not None:
                table = pa.Table.from_batches(self._pending, schema=self.schema)
                self._pending, self._pending_rows = [], 0
                if table.num_rows or self._groups == 0:  # no rows at all: one file, the schema
                    await self._hand_off(table)
                for part in self._parts:
                    await self._wait(part)
                    if part.writer is not None:
                        part.in_flight = part.pool.submit(self._close_part, part)
                        await self._wait(part)
        finally:
            for part in self._parts:
                part.pool.shutdown(wait=False)

    def discard(self) -> None:
        """Stop writing (blocking): wait for the threads and close the files (then deleted)."""
        for part in self._parts:
            part.pool.shutdown(wait=True, cancel_futures=True)
            writer, part.writer = part.writer, None
            if writer is not None:
                # The file is thrown away with staging anyway: a failing close changes nothing.
                with contextlib.suppress(OSError, pa.ArrowException):
                    writer.close()

    # -- on the event loop ------------------------------------------------------------------
    def _first(self, schema: pa.Schema) -> None:
        if self.timestamp is not None and schema.get_field_index(self.timestamp) < 0:
            raise ParquetError(
                f"the timestamp column {self.timestamp!r} is not in the rows written; "
                f"the columns are {', '.join(schema.names)}"
            )
        self.schema = schema

    def _conform(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        try:
            return batch.cast(self.schema)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
            raise ParquetError(
                f"a batch does not match the schema of the first batch ({exc}); "
                "every batch of one run must have the same columns and types"
            ) from exc

    @staticmethod
    async def _wait(part: _Part) -> None:
        in_flight, part.in_flight = part.in_flight, None
        if in_flight is not None:
            await asyncio.wrap_future(in_flight)

    async def _hand_off(self, table: pa.Table) -> None:
        part = self._parts[self._groups % len(self._parts)]
        self._groups += 1
        await self._wait(part)  # its previous row group: one at a time per part, in order
        part.in_flight = part.pool.submit(self._encode, part, table)

    # -- in a writer thread -----------------------------------------------------------------
    def _encode(self, part: _Part, table: pa.Table) -> None:
        if part.writer is None:
            part.writer = pq.ParquetWriter(part.path, self.schema, **self.options)
        if table.num_rows:
            if self.timestamp is not None:
                self._highs.append(pc.max(table.column(self.timestamp)).as_py())
            part.writer.write_table(table, row_group_size=self.row_group_size)

    @staticmethod
    def _close_part(part: _Part) -> None:
        writer, part.writer = part.writer, None
        if writer is not None:
            writer.close()


def ordered_groups(files: Sequence[Path]) -> Iterator[pa.Table]:
    """The row groups of part files written by :class:`StagedParts`, in the order written.

    Row group ``j`` of the run is row group ``j // n`` of part ``j % n`` (``n`` parts,
    sorted by name).
    """
    readers = [pq.ParquetFile(f) for f in sorted(files)]
    try:
        counts = [r.metadata.num_row_groups for r in readers]
        for j in range(sum(counts)):
            reader, local = readers[j % len(readers)], j // len(readers)
            if local < counts[j % len(readers)]:
                yield reader.read_row_group(local)
    finally:
        for reader in readers:
            reader.close()
