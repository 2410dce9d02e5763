"""Streaming a parquet dataset as record batches, decoding ``batch_size`` rows at a time.

Why not ``Dataset.scanner(...).to_reader()``: the dataset scanner decodes a
whole row group before slicing it into batches, and reads files ahead; on
files of 1M-row row groups it held ~250 MB of Arrow memory (~500 MB RSS)
whatever the batch size, and was slower than ``ParquetFile.iter_batches``,
which decodes ``batch_size`` rows at a time. The dataset still does what it
is good at: finding the files, hive partitions, and pruning files (partition
values) and row groups (statistics) with the filter; the rows of the row
groups kept are then filtered batch by batch with the same expression.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

__all__ = ["BatchStream", "read_batches"]


def read_batches(
    dataset: ds.FileSystemDataset,
    columns: Sequence[str] | None,
    expr: ds.Expression | None,
    filter_columns: Sequence[str],
    batch_size: int,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``dataset`` matching ``expr``, as batches of at most ``batch_size`` rows.

    ``columns`` (default: all) are the columns yielded, in that order;
    ``filter_columns`` are the columns ``expr`` uses (read, then dropped).
    Batches are cast to the dataset's schema; hive partition values become columns.
    """
    schema = dataset.schema
    names = list(columns) if columns is not None else list(schema.names)
    needed = names + [c for c in dict.fromkeys(filter_columns) if c not in names]
    target = pa.schema([schema.field(n) for n in needed])
    for fragment in dataset.get_fragments(filter=expr):  # pruned by partition values
        groups = None
        if expr is not None:  # pruned by row-group statistics
            pieces = fragment.split_by_row_group(expr, schema=schema)
            groups = [group.id for piece in pieces for group in piece.row_groups]
            if not groups:
                continue
        keys = ds.get_partition_keys(fragment.partition_expression)
        with pq.ParquetFile(fragment.path, filesystem=fragment.filesystem) as file:
            present = set(file.schema_arrow.names)
            wanted = [n for n in needed if n in present]
            for batch in file.iter_batches(batch_size, row_groups=groups, columns=wanted):
                rows = _conform(batch, target, keys)
                if expr is not None:
                    rows = rows.filter(expr)
                if len(needed) > len(names):
                    rows = rows.select(names)
                if rows.num_rows:
                    yield rows


def _conform(batch: pa.RecordBatch, target: pa.Schema, keys: dict[str, Any]) -> pa.RecordBatch:
    """``batch`` with ``target``'s columns and types (partition values, nulls where missing)."""
    if batch.schema.equals(target):
        return batch
    arrays = []
    for field in target:
        index = batch.schema.get_field_index(field.name)
        if index >= 0:
            column = batch.column(index)
            arrays.append(column if column.type == field.type else column.cast(field.type))
        elif keys.get(field.name) is not None:
            arrays.append(pa.repeat(pa.scalar(keys[field.name], field.type), batch.num_rows))
        else:
            arrays.append(pa.nulls(batch.num_rows, field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=target)


class BatchStream:
    """A batch iterator driven from worker threads, one call at a time.

    Why the lock: a reader cancelled while a ``next()`` runs in a thread closes
    the iterator from another thread; closing must wait for that call to end.
    """

    def __init__(self, batches: Iterator[pa.RecordBatch]) -> None:
        self._batches = batches
        self._lock = threading.Lock()
        self._closed = False

    def next(self) -> pa.RecordBatch | None:
        """The next batch, or None at the end (blocking: call from a worker thread)."""
        with self._lock:
            if self._closed:
                return None
            return next(self._batches, None)

    def close(self) -> None:
        """Stop reading and close the open file (idempotent; blocking)."""
        with self._lock:
            self._closed = True
            close = getattr(self._batches, "close", None)
            if close is not None:
                close()
