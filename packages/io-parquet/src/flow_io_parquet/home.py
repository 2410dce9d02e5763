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
from ._filters import after_expression, check_where, where_expression
from ._scan import BatchStream, read_batches
from .config import ParquetHomeConfig

__all__ = ["ParquetHome"]


class ParquetHome:
    """Reads an entity from parquet with projection and filters pushed down to pyarrow.

    The scan runs in worker threads (pyarrow releases the GIL) and yields one
    record batch at a time, decoded ``batch_size`` rows at a time (see
    :mod:`flow_io_parquet._scan`), so memory is bounded by the batch size, not
    by the dataset. A path that is a Flow parquet store (a
    symlink) is resolved once, so one read sees one published version.
    """

    config_model: ClassVar[type[ParquetHomeConfig]] = ParquetHomeConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.home_as(ParquetHomeConfig, ParquetConfigError)
        self.path = spec.resolve(self.config.path)

    def describe(self) -> str:
        """``parquet:<path as configured>``."""
        return f"parquet:{self.config.path}"

    async def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield batches of the rows matching ``where`` (and ``timestamp > after`` when set)."""
        stream = await asyncio.to_thread(self._open, after, columns)
        try:
            while True:
                batch = await asyncio.to_thread(stream.next)
                if batch is None:
                    return
                yield batch
        finally:
            await asyncio.to_thread(stream.close)

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

    def _open(self, after: Any | None, columns: Sequence[str] | None) -> BatchStream:
        dataset = self.dataset()
        source = f"entity {self.spec.name!r} home {self.describe()}"
        schema = dataset.schema
        expr = where_expression(self.config.where, schema, source)
        used = [str(term[0]) for group in check_where(self.config.where or []) for term in group]
        if after is not None:
            if self.spec.timestamp is None:
                raise ParquetConfigError(
                    f"{source}: a watermark was given but the entity has no timestamp column"
                )
            bound = after_expression(self.spec.timestamp, after, schema, source)
            expr = bound if expr is None else expr & bound
            used.append(self.spec.timestamp)
        wanted = list(columns) if columns is not None else self.config.columns
        if wanted is not None:
            missing = [c for c in wanted if schema.get_field_index(c) < 0]
            if missing:
                raise ParquetConfigError(
                    f"{source}: no column(s) {', '.join(map(repr, missing))}; "
                    f"the columns are {', '.join(schema.names) or '(none)'}"
                )
        return BatchStream(read_batches(dataset, wanted, expr, used, self.spec.batch_size))
