"""Writing part files synchronously (merges): one ParquetWriter per file, fixed row groups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from ._errors import ParquetError

__all__ = ["PartWriter", "write_options"]


def write_options(compression: str, level: int | None, dictionary_limit: int) -> dict[str, Any]:
    """Keyword arguments for :class:`pyarrow.parquet.ParquetWriter`.

    ``dictionary_limit`` is the dictionary page size at which a column chunk falls
    back to plain encoding (0: no dictionary encoding at all).
    """
    options: dict[str, Any] = {"compression": compression}
    if level is not None and compression != "none":
        options["compression_level"] = level
    if dictionary_limit == 0:
        options["use_dictionary"] = False
    else:
        options["dictionary_pagesize_limit"] = dictionary_limit
    return options


class PartWriter:
    """Buffers batches and writes them to ``path`` as row groups of ``row_group_size`` rows.

    Blocking: call it from a worker thread. Memory held is at most one row group.
    """

    def __init__(self, path: Path, schema: pa.Schema, row_group_size: int, **options: Any) -> None:
        self.path = path
        self.schema = schema
        self.row_group_size = row_group_size
        self.rows = 0
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self._writer = pq.ParquetWriter(path, schema, **options)

    def add(self, batch: pa.RecordBatch) -> None:
        """Buffer ``batch`` (cast to the file's schema); write full row groups."""
        if batch.schema != self.schema:
            try:
                batch = batch.cast(self.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
                raise ParquetError(
                    f"a batch for {self.path.name} does not match the schema of the first batch "
                    f"({exc}); every batch of one run must have the same columns and types"
                ) from exc
        self._pending.append(batch)
        self._pending_rows += batch.num_rows
        if self._pending_rows >= self.row_group_size:
            self._flush(final=False)

    def close(self) -> None:
        """Write what is buffered and close the file."""
        self._flush(final=True)
        self._writer.close()

    def _flush(self, *, final: bool) -> None:
        if not self._pending:
            return
        table = pa.Table.from_batches(self._pending, schema=self.schema)
        size = self.row_group_size
        full = table.num_rows if final else (table.num_rows // size) * size
        if full:
            self._writer.write_table(table.slice(0, full), row_group_size=size)
            self.rows += full
        rest = table.slice(full)
        self._pending = rest.to_batches() if rest.num_rows else []
        self._pending_rows = rest.num_rows
