"""The ``csv`` store: staging file, atomic publish with ``os.replace``, merge on key."""

from __future__ import annotations

import asyncio
import contextlib
import io
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
from flow.dataflows.protocols import EntitySpec, PublishResult

from ._errors import CsvConfigError, CsvDataError, CsvError
from ._merge import dedupe_last, upsert
from ._staging import StoreFiles
from .config import CsvStoreConfig

__all__ = ["CsvStore"]


class CsvStore:
    """Writes an entity to one CSV file, replaced atomically on publish.

    ``begin`` takes the store's lock and removes staging files of crashed runs;
    ``write`` streams batches into a staging file beside the target (CSV, or
    Arrow IPC when the rows must be merged on a key); ``publish`` renames the
    finished file over the target with ``os.replace``, so a reader sees the old
    file or the new one, never part of one.

    * ``mode: replace`` publishes exactly the run's rows.
    * ``mode: append`` publishes a copy of the current file followed by the
      run's rows (the copy keeps the publish atomic; it costs one pass over
      the current file).
    * an entity with a ``key`` merges: rows of the run replace published rows
      with equal keys, the rest are kept (see :mod:`flow_io_csv._merge` for
      the memory this takes).
    """

    config_model: ClassVar[type[CsvStoreConfig]] = CsvStoreConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.store_as(CsvStoreConfig, CsvConfigError)
        self.path = spec.resolve(self.config.path)
        self.files = StoreFiles(self.path)
        self._where = f"entity {spec.name!r} store {self.describe()}"
        self._staging: Path | None = None
        # Every temporary file this run made (staging and the files publish builds), so
        # that abort() removes them whatever step failed.
        self._temps: list[Path] = []
        self._writer: Any = None  # CSVWriter or RecordBatchFileWriter, opened on the first batch
        self._schema: pa.Schema | None = None
        self._rows = 0
        self._full_refresh = False
        self._max_ts: Any | None = None

    def describe(self) -> str:
        """``csv:<path as configured>``."""
        return f"csv:{self.config.path}"

    @property
    def _merging(self) -> bool:
        return bool(self.spec.key)

    async def begin(self, *, full_refresh: bool) -> None:
        """Lock the store, clear leftovers of crashed runs, and start an empty staging file."""
        await self.abort()
        self._full_refresh = full_refresh
        self._max_ts = None
        self._rows = 0
        await asyncio.to_thread(self._begin)

    def _begin(self) -> None:
        if self.path.is_dir():
            raise CsvConfigError(
                f"{self._where}: {self.path} is a directory; store.path names a file"
            )
        self.files.lock(self._where)
        try:
            self.files.remove_leftovers()
            self._staging = self._temp(".arrow" if self._merging else ".csv")
        except BaseException:
            self.files.unlock()
            raise

    async def write(self, batch: Any) -> None:
        """Append ``batch`` (a ``pyarrow.RecordBatch`` or ``Table``) to the staging file."""
        if self._staging is None:
            raise CsvError(f"{self._where}: write() before begin()")
        batches = batch.to_batches() if isinstance(batch, pa.Table) else [batch]
        if self.spec.timestamp is not None:
            for piece in batches:
                self._track(piece)
        await asyncio.to_thread(self._write, batches)

    def _track(self, batch: pa.RecordBatch) -> None:
        index = batch.schema.get_field_index(self.spec.timestamp or "")
        if index < 0:
            raise CsvConfigError(
                f"{self._where}: the timestamp column {self.spec.timestamp!r} is not in the rows "
                f"written; the columns are {', '.join(batch.schema.names)}"
            )
        high = pc.max(batch.column(index)).as_py()
        if high is not None and (self._max_ts is None or high > self._max_ts):
            self._max_ts = high

    def _write(self, batches: list[pa.RecordBatch]) -> None:
        assert self._staging is not None
        for batch in batches:
            if self._writer is None:
                self._open(batch.schema)
            elif not batch.schema.equals(self._schema):
                raise CsvDataError(
                    f"{self._where}: a batch's columns changed during the run "
                    f"({self._schema} then {batch.schema})"
                )
            try:
                self._writer.write_batch(batch)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise CsvDataError(
                    f"{self._where}: cannot write these rows as CSV: {exc}"
                ) from None
            self._rows += batch.num_rows

    def _open(self, schema: pa.Schema) -> None:
        assert self._staging is not None
        if self._merging:
            missing = [k for k in self.spec.key or () if schema.get_field_index(k) < 0]
            if missing:
                raise CsvConfigError(
                    f"{self._where}: key column(s) {', '.join(map(repr, missing))} are not in "
                    f"the rows written; the columns are {', '.join(schema.names)}"
                )
            self._writer = pa.ipc.new_file(str(self._staging), schema)
        else:
            self._writer = pacsv.CSVWriter(
                str(self._staging), schema, write_options=self._options()
            )
        self._schema = schema

    def _options(self, *, header: bool | None = None) -> pacsv.WriteOptions:
        return pacsv.WriteOptions(
            include_header=self.config.header if header is None else header,
            delimiter=self.config.delimiter,
            quoting_style=self.config.quoting,
        )

    async def publish(self) -> PublishResult:
        """Replace, append or merge, then rename the result over the target; release the lock."""
        if self._staging is None:
            raise CsvError(f"{self._where}: publish() before begin()")
        try:
            rows = await asyncio.to_thread(self._publish)
        except BaseException:
            await self.abort()
            raise
        size = self.path.stat().st_size if self.path.exists() else None
        result = PublishResult(rows=rows, max_timestamp=self._max_ts, bytes=size)
        self._reset()
        return result

    def _publish(self) -> int:
        assert self._staging is not None
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        if self._merging:
            return self._publish_merge()
        staging = self._staging
        if writer is None:
            if self.config.mode == "append" and not self._full_refresh:
                return 0  # nothing to add: the published file stays as it is
            staging.write_bytes(b"")  # replace with an empty file (no columns are known)
        elif self.config.mode == "append" and not self._full_refresh and _non_empty(self.path):
            staging = self._appended(staging)
        self.files.publish(staging, durable=self.config.durable)
        self._staging = None
        return self._rows

    def _appended(self, staging: Path) -> Path:
        """A new staging file: the published file, then the run's rows without their header."""
        assert self._schema is not None
        header = self._header(self._schema)
        combined = self._temp(".csv")
        with self.path.open("rb") as current, staging.open("rb") as new, combined.open("wb") as out:
            if header and current.read(len(header)) != header:
                raise CsvDataError(
                    f"{self._where}: the published file's header differs from the run's columns "
                    f"({', '.join(self._schema.names)}); run with --full-refresh to replace it"
                )
            current.seek(0)
            shutil.copyfileobj(current, out)
            out.seek(0, io.SEEK_END)
            if out.tell() and not _ends_with_newline(self.path):
                out.write(b"\n")
            new.seek(len(header))
            shutil.copyfileobj(new, out)
        staging.unlink()
        return combined

    def _temp(self, suffix: str) -> Path:
        path = self.files.new_staging(suffix)
        self._temps.append(path)
        return path

    def _header(self, schema: pa.Schema) -> bytes:
        if not self.config.header:
            return b""
        sink = io.BytesIO()
        pacsv.write_csv(schema.empty_table(), sink, write_options=self._options(header=True))
        return sink.getvalue()

    def _publish_merge(self) -> int:
        assert self._staging is not None
        key = list(self.spec.key or ())
        if self._schema is None:  # no rows: merging nothing changes nothing
            if not self._full_refresh:
                return 0
            new = None
        else:
            with pa.memory_map(str(self._staging)) as source:
                new = dedupe_last(pa.ipc.open_file(source).read_all(), key)
        if new is not None and not self._full_refresh and _non_empty(self.path):
            new_rows = new.num_rows
            table = upsert(self._read_current(new.schema), new, key)
        else:
            new_rows = 0 if new is None else new.num_rows
            table = new
        out = self._temp(".csv")
        if table is None:
            out.write_bytes(b"")
        else:
            pacsv.write_csv(table, str(out), write_options=self._options())
        self._staging.unlink(missing_ok=True)
        self.files.publish(out, durable=self.config.durable)
        self._staging = None
        return int(new_rows)

    def _read_current(self, schema: pa.Schema) -> pa.Table:
        """The published file, read with the run's column types."""
        names = None if self.config.header else schema.names
        try:
            current = pacsv.read_csv(
                str(self.path),
                read_options=pacsv.ReadOptions(column_names=names),
                parse_options=pacsv.ParseOptions(
                    delimiter=self.config.delimiter, newlines_in_values=True
                ),
                convert_options=pacsv.ConvertOptions(column_types=schema),
            )
        except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
            raise CsvDataError(
                f"{self._where}: cannot merge into the published file {self.path} ({exc}); "
                "run with --full-refresh to replace it"
            ) from None
        if sorted(current.schema.names) != sorted(schema.names):
            raise CsvDataError(
                f"{self._where}: the published file's columns ({', '.join(current.schema.names)}) "
                f"differ from the run's ({', '.join(schema.names)}); run with --full-refresh"
            )
        return current

    async def abort(self) -> None:
        """Drop the staging file and release the lock (idempotent)."""
        await asyncio.to_thread(self._abort)
        self._reset()

    def _abort(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(Exception):  # the file is deleted next anyway
                writer.close()
        self._staging = None
        temps, self._temps = self._temps, []
        for path in temps:  # the published one was renamed away: nothing to remove there
            path.unlink(missing_ok=True)

    def _reset(self) -> None:
        self._staging = None
        self._temps = []
        self._writer = None
        self._schema = None
        self.files.unlock()


def _non_empty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except FileNotFoundError:
        return False


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, io.SEEK_END)
        return handle.read(1) == b"\n"
