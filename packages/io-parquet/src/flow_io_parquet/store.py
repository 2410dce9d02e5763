"""The ``parquet`` store: staging, atomic publish by symlink swap, merge on key."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec, PublishResult

from ._errors import ParquetConfigError, ParquetError
from ._layout import StoreLayout, new_run_id
from ._merge import carry_over, dedupe_staging, link_all
from ._writer import PartWriter, write_options
from .config import ParquetStoreConfig

__all__ = ["ParquetStore"]


class ParquetStore:
    """Writes an entity to a directory of parquet files, published atomically.

    ``begin`` takes the store's lock and creates a staging directory beside
    the target; ``write`` streams batches into one part file there (in a
    worker thread, row groups of ``row_group_size``); ``publish`` merges on the
    entity's key (upsert), or appends or replaces per ``mode``, then swaps the
    target symlink to the new version (see :mod:`flow_io_parquet._layout`).
    """

    config_model: ClassVar[type[ParquetStoreConfig]] = ParquetStoreConfig

    def __init__(self, spec: EntitySpec) -> None:
        if not isinstance(spec.store, ParquetStoreConfig):
            raise ParquetConfigError(
                f"entity {spec.name!r}: the parquet store needs a ParquetStoreConfig, "
                f"got {type(spec.store).__name__}"
            )
        self.spec = spec
        self.config: ParquetStoreConfig = spec.store
        self.layout = StoreLayout(spec.resolve(self.config.path))
        self._options = write_options(self.config.compression, self.config.compression_level)
        self._run_id: str | None = None
        self._staging: Path | None = None
        self._writer: PartWriter | None = None
        self._full_refresh = False
        self._max_ts: Any | None = None

    @property
    def path(self) -> Path:
        """The published table's path (a symlink to the current version directory)."""
        return self.layout.target

    def describe(self) -> str:
        """``parquet:<path as configured>``."""
        return f"parquet:{self.config.path}"

    async def begin(self, *, full_refresh: bool) -> None:
        """Lock the store, clear leftovers of crashed runs, and create an empty staging area."""
        await self.abort()
        self._full_refresh = full_refresh
        self._max_ts = None
        await asyncio.to_thread(self._begin)

    def _begin(self) -> None:
        self.layout.lock()
        try:
            self.layout.current()  # refuses a path Flow does not manage, before any work
            self.layout.remove_stray_links()
            self.layout.cleanup(keep_previous=True)
            self._run_id = new_run_id()
            self._staging = self.layout.new_staging(self._run_id)
        except BaseException:
            self.layout.unlock()
            raise

    async def write(self, batch: Any) -> None:
        """Append ``batch`` (a ``pyarrow.RecordBatch`` or ``Table``) to staging."""
        if self._staging is None:
            raise ParquetError(f"{self.describe()}: write() before begin()")
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        if self.spec.timestamp is not None:
            for piece in batches:
                self._track(piece)
        await asyncio.to_thread(self._write, batches)

    def _track(self, batch: pa.RecordBatch) -> None:
        index = batch.schema.get_field_index(self.spec.timestamp or "")
        if index < 0:
            raise ParquetError(
                f"{self.describe()}: the timestamp column {self.spec.timestamp!r} is not in the "
                f"rows written; the columns are {', '.join(batch.schema.names)}"
            )
        high = pc.max(batch.column(index)).as_py()
        if high is not None and (self._max_ts is None or high > self._max_ts):
            self._max_ts = high

    def _write(self, batches: list[pa.RecordBatch]) -> None:
        assert self._staging is not None
        assert self._run_id is not None
        for batch in batches:
            if self._writer is None:
                self._writer = PartWriter(
                    self._staging / f"part-{self._run_id}-00000.parquet",
                    batch.schema,
                    self.config.row_group_size,
                    **self._options,
                )
            self._writer.add(batch)

    async def publish(self) -> PublishResult:
        """Merge/append/replace and swap the published version atomically; release the lock."""
        if self._staging is None:
            raise ParquetError(f"{self.describe()}: publish() before begin()")
        try:
            rows, size = await asyncio.to_thread(self._publish)
        except BaseException:
            await self.abort()
            raise
        result = PublishResult(rows=rows, max_timestamp=self._max_ts, bytes=size)
        self._reset()
        return result

    def _publish(self) -> tuple[int, int | None]:
        assert self._staging is not None
        assert self._run_id is not None
        staging, run_id = self._staging, self._run_id
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        rows = writer.rows if writer is not None else 0
        current = self.layout.current()
        if self.spec.key and not self._full_refresh:
            if writer is None or rows == 0:  # nothing new: keep the published version as it is
                shutil.rmtree(staging, ignore_errors=True)
                self._staging = None
                return 0, None
            keys = dedupe_staging(
                staging, self.spec.key, run_id, self.config.row_group_size, self._options
            )
            rows = keys.num_rows
            if current is not None:
                carry_over(
                    current,
                    staging,
                    keys,
                    writer.schema,
                    run_id,
                    self.config.row_group_size,
                    self._options,
                )
        elif self.spec.key:
            rows = dedupe_staging(
                staging, self.spec.key, run_id, self.config.row_group_size, self._options
            ).num_rows
        elif self.config.mode == "append" and not self._full_refresh and current is not None:
            link_all(current, staging)
        version = self.layout.publish(staging, run_id, durable=self.config.durable)
        self._staging = None
        self.layout.cleanup(keep_previous=True)
        return rows, sum(p.stat().st_size for p in version.glob("*.parquet"))

    async def abort(self) -> None:
        """Drop staging and release the lock (idempotent)."""
        await asyncio.to_thread(self._abort)
        self._reset()

    def _abort(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):  # the file is thrown away with staging anyway
                writer.close()
        staging, self._staging = self._staging, None
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _reset(self) -> None:
        self._staging = None
        self._writer = None
        self._run_id = None
        self.layout.unlock()
