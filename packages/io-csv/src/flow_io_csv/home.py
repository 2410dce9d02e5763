"""The ``csv`` home: streams record batches from CSV files with ``pyarrow.csv.open_csv``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.csv as pacsv  # type: ignore[import-untyped]
from flow.dataflows.arrow_types import parse_type
from flow.dataflows.protocols import EntitySpec

from ._errors import CsvConfigError, CsvDataError, CsvError
from ._files import find_files
from ._locate import bad_row_problem, conversion_problem, header_names, line_of_value
from .config import CsvHomeConfig

__all__ = ["CsvHome", "after_mask"]

# Bytes per parsed block for each row of batch_size (a rough row width), within bounds.
_BYTES_PER_ROW = 128
_MIN_BLOCK = 1 << 20
_MAX_BLOCK = 64 << 20


class CsvHome:
    """Reads an entity from CSV files, one parsed block at a time (never a whole file).

    Types come from ``column_types`` and, for the other columns, pyarrow's
    inference on the first block of the first file; later files are read with
    those same types, so every batch has one schema. Batches hold at most
    ``batch_size`` rows. Parsing runs in a worker thread (pyarrow releases the
    GIL), so the event loop never blocks.
    """

    config_model: ClassVar[type[CsvHomeConfig]] = CsvHomeConfig

    def __init__(self, spec: EntitySpec) -> None:
        self.spec = spec
        self.config = spec.home_as(CsvHomeConfig, CsvConfigError)
        self.path = spec.resolve(self.config.path)
        self._where = f"entity {spec.name!r} home {self.describe()}"

    def describe(self) -> str:
        """``csv:<path as configured>``."""
        return f"csv:{self.config.path}"

    def files(self) -> list[Path]:
        """The files this home reads, in order."""
        return find_files(self.path, self._where)

    async def read(
        self, *, after: Any | None, columns: Sequence[str] | None = None
    ) -> AsyncIterator[pa.RecordBatch]:
        """Yield batches of every file's rows (only rows with ``timestamp > after`` when set)."""
        if after is not None and self.spec.timestamp is None:
            raise CsvConfigError(
                f"{self._where}: a watermark was given but the entity has no timestamp column"
            )
        wanted = list(columns) if columns is not None else self.config.columns
        files = await asyncio.to_thread(self.files)
        types: dict[str, pa.DataType] | None = None
        for path in files:
            reader = await asyncio.to_thread(self._open, path, wanted, after, types)
            try:
                if types is None:  # later files are read with the first file's types
                    types = dict(zip(reader.schema.names, reader.schema.types, strict=True))
                while (batch := await asyncio.to_thread(self._next, reader, path)) is not None:
                    for piece in self._prepare(batch, after, wanted):
                        yield piece
            finally:
                reader.close()

    def _open(
        self,
        path: Path,
        wanted: list[str] | None,
        after: Any | None,
        types: dict[str, pa.DataType] | None,
    ) -> pacsv.CSVStreamingReader:
        include = None
        if wanted is not None:
            include = list(wanted)
            stamp = self.spec.timestamp
            if after is not None and stamp is not None and stamp not in include:
                include.append(stamp)  # needed for the filter, dropped after
        column_types = {name: parse_type(t) for name, t in self.config.column_types.items()}
        if types is not None:
            column_types = types | column_types
        convert = pacsv.ConvertOptions(column_types=column_types, include_columns=include)
        if self.config.null_values is not None:
            convert.null_values = self.config.null_values
            convert.strings_can_be_null = True
        try:
            return pacsv.open_csv(
                str(path),
                read_options=self._read_options(),
                parse_options=self._parse_options(),
                convert_options=convert,
            )
        except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
            raise self._data_error(path, exc) from None

    def _read_options(self) -> pacsv.ReadOptions:
        block = self.config.block_size or min(
            _MAX_BLOCK, max(_MIN_BLOCK, self.spec.batch_size * _BYTES_PER_ROW)
        )
        names = self.config.column_names
        # use_threads=False: the streaming reader then knows each bad row's line number.
        return pacsv.ReadOptions(
            use_threads=False,
            block_size=block,
            column_names=names,
            skip_rows=1 if (names and self.config.header) else 0,
            encoding=self.config.encoding,
        )

    def _parse_options(self) -> pacsv.ParseOptions:
        # With bad_rows: error, pyarrow's own error (parsed in _data_error) names the row.
        skip = self.config.bad_rows == "skip"
        return pacsv.ParseOptions(
            delimiter=self.config.delimiter,
            quote_char=self.config.quote_char or False,
            newlines_in_values=self.config.quote_char is not None,
            invalid_row_handler=_skip_row if skip else None,
        )

    def _next(self, reader: pacsv.CSVStreamingReader, path: Path) -> pa.RecordBatch | None:
        try:
            return reader.read_next_batch()
        except StopIteration:
            return None
        except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
            raise self._data_error(path, exc) from None

    def _data_error(self, path: Path, exc: Exception) -> CsvError:
        message = str(exc)
        if isinstance(exc, pa.ArrowKeyError) or "not found in CSV" in message:
            return CsvConfigError(f"{self._where}: {path}: {message}; check columns/column_types")
        if (bad := bad_row_problem(message)) is not None:
            line, expected, actual, text = bad
            at = f" line {line}" if line is not None else ""
            return CsvDataError(
                f"{self._where}: {path}{at}: expected {expected} fields, got {actual} "
                f"({_clip(text)!r}); fix the row or set bad_rows: skip"
            )
        if (problem := conversion_problem(message)) is None:
            return CsvDataError(f"{self._where}: {path}: {message}")
        column, line, type_name, value = problem
        if line is None:
            line = line_of_value(
                path,
                column=column,
                value=value,
                delimiter=self.config.delimiter,
                quote_char=self.config.quote_char,
                encoding=self.config.encoding,
                skip_header=self.config.header,
            )
        at = f" line {line}" if line is not None else ""
        name = self._column_name(path, column)
        return CsvDataError(
            f"{self._where}: {path}{at}: column {name} holds {_clip(value)!r}, which is not "
            f"a valid {type_name}; fix the value or set column_types for {name}"
        )

    def _column_name(self, path: Path, index: int) -> str:
        names = self.config.column_names or header_names(
            path,
            delimiter=self.config.delimiter,
            quote_char=self.config.quote_char,
            encoding=self.config.encoding,
        )
        return repr(names[index]) if index < len(names) else f"#{index + 1}"

    def _prepare(
        self, batch: pa.RecordBatch, after: Any | None, wanted: list[str] | None
    ) -> Iterator[pa.RecordBatch]:
        if after is not None:
            assert self.spec.timestamp is not None
            batch = batch.filter(after_mask(batch, self.spec.timestamp, after, self._where))
            if wanted is not None and self.spec.timestamp not in wanted:
                batch = batch.select(wanted)
        size = self.spec.batch_size
        for start in range(0, batch.num_rows, size):
            yield batch.slice(start, size)


def after_mask(batch: pa.RecordBatch, column: str, after: Any, where: str) -> pa.Array:
    """A boolean mask of the rows whose ``column`` is later than the watermark ``after``."""
    index = batch.schema.get_field_index(column)
    if index < 0:
        raise CsvConfigError(
            f"{where}: the timestamp column {column!r} is not in the file; "
            f"the columns are {', '.join(batch.schema.names)}"
        )
    values = batch.column(index)
    try:
        bound = pa.scalar(after).cast(values.type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError) as exc:
        raise CsvConfigError(
            f"{where}: the watermark {after!r} cannot be compared with column {column!r} of "
            f"type {values.type} ({exc}); set column_types for {column!r}"
        ) from None
    return pc.greater(values, bound)


def _skip_row(row: Any) -> str:
    return "skip"


def _clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
