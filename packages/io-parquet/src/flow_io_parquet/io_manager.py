"""The ``parquet`` IO manager: asset values as parquet files, one per key and partition.

Stores ``pyarrow.Table`` and ``pyarrow.RecordBatch`` values, and pandas or
polars DataFrames when those libraries are installed; ``load`` gives back the
same kind it was given (the kind is kept in the file's schema metadata).
Other values are refused with a clear error (use the ``fs`` IO manager).
Writes go to a temporary file in the same directory and are renamed over
the target, so a reader sees the old or the new value, never half of one.
"""

from __future__ import annotations

import hashlib
import importlib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from flow.assets.io_managers import IOContext, store_atomically
from flow.assets.keys import check_key
from flow.errors import AssetDefinitionError, IOManagerError

__all__ = ["ParquetIOManager"]

_KIND = b"flow.kind"
Kind = Literal["arrow_table", "arrow_batch", "pandas", "polars"]


def _to_arrow(value: Any) -> tuple[pa.Table, Kind] | None:
    if isinstance(value, pa.Table):
        return value, "arrow_table"
    if isinstance(value, pa.RecordBatch):
        return pa.Table.from_batches([value]), "arrow_batch"
    module = type(value).__module__.split(".")[0]
    # Detected by module name so that neither library is imported unless the value is one.
    if module == "pandas" and type(value).__name__ == "DataFrame":
        return pa.Table.from_pandas(value), "pandas"
    if module == "polars" and type(value).__name__ == "DataFrame":
        return value.to_arrow(), "polars"
    return None


def _from_arrow(table: pa.Table, kind: str) -> Any:
    if kind == "arrow_batch":
        return (
            table.combine_chunks().to_batches()[0]
            if table.num_rows
            else (pa.RecordBatch.from_pylist([], schema=table.schema))
        )
    if kind == "pandas":
        return table.to_pandas()
    if kind == "polars":
        # importlib: polars is optional and only needed when a polars value was stored.
        return importlib.import_module("polars").from_arrow(table)
    return table


class ParquetIOManager:
    """Asset values as parquet files under ``root`` (default ``<project>/.flow/assets-parquet``)."""

    name = "parquet"

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        compression: str = "zstd",
        project_dir: Path | None = None,
    ) -> None:
        base = Path(project_dir) if project_dir is not None else Path.cwd()
        self.root = Path(root) if root is not None else base / ".flow" / "assets-parquet"
        self.compression = compression

    def path(self, context: IOContext) -> Path:
        """The parquet file of ``context`` (keys and partitions mapped to safe names)."""
        try:
            key = check_key(context.asset_key)
        except AssetDefinitionError as exc:
            raise IOManagerError(f"io manager 'parquet' refused the key: {exc}") from None
        if context.partition_text is None:
            return self.root.joinpath(*key.split("/"), "__unpartitioned__.parquet")
        name = quote(context.partition_text, safe="")
        if len(name) > 150:  # file names are limited to 255 bytes: hash long partitions
            name = "h-" + hashlib.sha256(context.partition_text.encode()).hexdigest()
        return self.root.joinpath(*key.split("/"), f"p-{name}.parquet")

    def store(self, context: IOContext, value: Any) -> None:
        """Write ``value`` for the asset and partition of ``context``, replacing any."""
        target = self.path(context)
        converted = _to_arrow(value)
        if converted is None:
            raise IOManagerError(
                f"io manager 'parquet' cannot store {context.where}: {type(value).__name__} is "
                "not a table; return a pyarrow.Table or RecordBatch (or a pandas/polars "
                "DataFrame), or use io_manager='fs' for other values"
            )
        table, kind = converted
        metadata = dict(table.schema.metadata or {})
        metadata[_KIND] = kind.encode()
        table = table.replace_schema_metadata(metadata)
        store_atomically(
            target,
            lambda temp: pq.write_table(table, temp, compression=self.compression),
            context=context,
            manager="parquet",
        )

    def load(self, context: IOContext) -> Any:
        """The value last stored for the asset and partition of ``context``."""
        target = self.path(context)
        try:
            table = pq.read_table(target)
        except FileNotFoundError:
            raise IOManagerError(
                f"io manager 'parquet' has no value for {context.where} (no file {target}); "
                "materialize it first"
            ) from None
        except (OSError, pa.ArrowInvalid) as exc:
            raise IOManagerError(
                f"io manager 'parquet' could not read {context.where} from {target}: {exc}"
            ) from exc
        metadata = dict(table.schema.metadata or {})
        kind = metadata.pop(_KIND, b"arrow_table").decode()
        return _from_arrow(table.replace_schema_metadata(metadata or None), kind)
