"""The ``parquet`` home: streams record batches from a file, a directory or a hive dataset."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec

from ._errors import ParquetConfigError, ParquetError
from ._filters import after_expression, where_expression
from .config import ParquetHomeConfig

__all__ = ["ParquetHome"]


class ParquetHome:
    """Reads an entity from parquet with projection and filters pushed down to pyarrow.

    The scan runs in worker threads (pyarrow releases the GIL) and yields one
    record batch at a time, so memory is bounded by ``batch_size`` and pyarrow's
    read-ahead, not by the dataset. A path that is a Flow parquet store (a
    symlink) is resolved once, so one read sees one published version.
    """

    config_model: ClassVar[type[ParquetHomeConfig]] = ParquetHomeConfig

    def __init__(self, spec: EntitySpec) -> None:
        if not isinstance(spec.home, ParquetHomeConfig):
            raise ParquetConfigError(
                f"entity {spec.name!r}: the parquet home needs a ParquetHomeConfig, "
                f"got {type(spec.home).__name__}"
            )
        self.spec = spec
        self.config: ParquetHomeConfig = spec.home
        self.path = spec.resolve(self.config.path)

    def describe(self) -> str:
        """``parquet:<path as configured>``."""
        return f"parquet:{self.config.path}"

    async def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield batches of the rows matching ``where`` (and ``timestamp > after`` when set)."""
        reader = await asyncio.to_thread(self._open, after, columns)
        try:
            while True:
                batch = await asyncio.to_thread(_next_batch, reader)
                if batch is None:
                    return
                if batch.num_rows:
                    yield batch
        finally:
            reader.close()

    def dataset(self) -> ds.Dataset:
        """The pyarrow dataset behind this home (a missing path is a clear error)."""
        where = f"entity {self.spec.name!r} home {self.describe()}"
        if not self.path.exists():
            raise ParquetError(f"{where}: {self.path} does not exist; check home.path")
        target = os.path.realpath(self.path)
        try:
            return ds.dataset(target, format="parquet", partitioning=self.config.partitioning)
        except (pa.ArrowInvalid, OSError) as exc:
            raise ParquetError(f"{where}: cannot open {self.path} as parquet: {exc}") from exc

    def _open(self, after: Any | None, columns: Sequence[str] | None) -> pa.RecordBatchReader:
        dataset = self.dataset()
        source = f"entity {self.spec.name!r} home {self.describe()}"
        schema = dataset.schema
        expr = where_expression(self.config.where, schema, source)
        if after is not None:
            if self.spec.timestamp is None:
                raise ParquetConfigError(
                    f"{source}: a watermark was given but the entity has no timestamp column"
                )
            bound = after_expression(self.spec.timestamp, after, schema, source)
            expr = bound if expr is None else expr & bound
        wanted = list(columns) if columns is not None else self.config.columns
        if wanted is not None:
            missing = [c for c in wanted if schema.get_field_index(c) < 0]
            if missing:
                raise ParquetConfigError(
                    f"{source}: no column(s) {', '.join(map(repr, missing))}; "
                    f"the columns are {', '.join(schema.names) or '(none)'}"
                )
        scanner = dataset.scanner(
            columns=wanted, filter=expr, batch_size=self.spec.batch_size, use_threads=True
        )
        return scanner.to_reader()


def _next_batch(reader: pa.RecordBatchReader) -> pa.RecordBatch | None:
    try:
        return reader.read_next_batch()
    except StopIteration:
        return None
