"""The ``parquet`` store: staging, atomic publish by symlink swap, merge on key."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec, PublishResult

from ._errors import ParquetConfigError, ParquetError
from ._layout import StoreLayout, new_run_id
from ._merge import carry_over, dedupe_staging, link_all
from ._staged import StagedParts
from ._writer import write_options
from .config import ParquetStoreConfig

__all__ = ["ParquetStore"]


class ParquetStore:
    """Writes an entity to a directory of parquet files, published atomically.

    ``begin`` takes the store's lock and creates a staging directory beside
    the target; ``write`` streams batches into one part file there (row groups
    of ``row_group_size`` encoded in a dedicated thread, see
    :mod:`flow_io_parquet._staged`); ``publish`` merges on the
    entity's key (upsert), or appends or replaces per ``mode``, then swaps the
    target symlink to the new version (see :mod:`flow_io_parquet._layout`).
    """

    config_model: ClassVar[type[ParquetStoreConfig]] = ParquetStoreConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.store_as(ParquetStoreConfig, ParquetConfigError)
        self.layout = StoreLayout(spec.resolve(self.config.path))
        self._options = write_options(
            self.config.compression, self.config.compression_level, self.config.dictionary_limit
        )
        self._run_id: str | None = None
        self._staging: Path | None = None
        self._file: StagedParts | None = None
        self._full_refresh = False

    @property
    def writers(self) -> int:
        """Part files written in parallel (``writers``, or up to 4 by the CPU count)."""
        if self.config.writers is not None:
            return self.config.writers
        return max(1, min(4, os.cpu_count() or 1))

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
        if self._staging is None or self._run_id is None:
            raise ParquetError(f"{self.describe()}: write() before begin()")
        if self._file is None:
            self._file = StagedParts(
                self._staging / f"part-{self._run_id}",
                self.config.row_group_size,
                self._options,
                writers=self.writers,
                timestamp=self.spec.timestamp,
            )
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        try:
            for piece in batches:
                await self._file.write(piece)
        except ParquetError as exc:
            raise ParquetError(f"{self.describe()}: {exc}") from exc

    async def publish(self) -> PublishResult:
        """Merge/append/replace and swap the published version atomically; release the lock."""
        if self._staging is None:
            raise ParquetError(f"{self.describe()}: publish() before begin()")
        staged = self._file
        try:
            if staged is not None:
                await staged.close()
            rows, size = await asyncio.to_thread(self._publish, staged)
        except BaseException:
            await self.abort()
            raise
        max_ts = staged.max_timestamp if staged is not None and rows else None
        result = PublishResult(rows=rows, max_timestamp=max_ts, bytes=size)
        self._reset()
        return result

    def _publish(self, staged: StagedParts | None) -> tuple[int, int | None]:
        assert self._staging is not None
        assert self._run_id is not None
        staging, run_id = self._staging, self._run_id
        self._file = None
        rows = staged.rows if staged is not None else 0
        current = self.layout.current()
        if self.spec.key and not self._full_refresh:
            if staged is None or rows == 0:  # nothing new: keep the published version as it is
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
                    staged.schema,
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
        staged, self._file = self._file, None
        if staged is not None:
            staged.discard()  # waits for a row group still being encoded before the rmtree
        staging, self._staging = self._staging, None
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)

    def _reset(self) -> None:
        self._staging = None
        self._file = None
        self._run_id = None
        self.layout.unlock()
