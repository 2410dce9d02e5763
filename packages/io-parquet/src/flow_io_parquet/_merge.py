"""Merge on key (upsert) of staged rows into the published version, memory-bounded.

Only the staged key columns are held in memory (plus, when the staged rows
themselves repeat a key, the staged rows, to keep the last occurrence). Old
files whose rows share no key with staging are hard-linked, not rewritten; an
old file that does share keys is streamed in row groups through a left anti
join (Acero's hash join) against the staged keys and rewritten without them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]
import pyarrow.dataset as ds  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]

from ._errors import ParquetError
from ._staged import ordered_groups
from ._writer import PartWriter

__all__ = ["carry_over", "dedupe_staging", "link_all"]

_ROW = "__flow_row"


def _parts(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.parquet") if p.is_file())


def dedupe_staging(
    staging: Path, key: Sequence[str], run_id: str, row_group_size: int, options: dict[str, Any]
) -> pa.Table:
    """The staged key columns, after rewriting staging so each key appears once (the last wins)."""
    files = _parts(staging)
    if not files:
        return pa.table({})
    dataset = ds.dataset([str(f) for f in files], format="parquet")
    missing = [k for k in key if dataset.schema.get_field_index(k) < 0]
    if missing:
        raise ParquetError(
            f"key column(s) {', '.join(map(repr, missing))} are not in the staged rows; "
            f"the columns are {', '.join(dataset.schema.names)}"
        )
    keys = dataset.to_table(columns=list(key))
    for name in key:
        if keys.column(name).null_count:
            raise ParquetError(
                f"key column {name!r} has null values; a merge key must never be null"
            )
    if keys.group_by(list(key)).aggregate([]).num_rows == keys.num_rows:
        return keys
    # Staged rows repeat a key: keep the last occurrence of each, in the order written.
    table = pa.concat_tables(ordered_groups(files)).cast(dataset.schema)
    table = table.append_column(_ROW, pc.indices_nonzero(pa.repeat(True, table.num_rows)))
    last = table.group_by(list(key), use_threads=False).aggregate([(_ROW, "max")])
    rows = last.column(f"{_ROW}_max")
    table = table.take(pc.take(rows, pc.array_sort_indices(rows))).drop_columns([_ROW])
    path = staging / f"part-{run_id}-dedup.parquet"
    out = PartWriter(path, dataset.schema, row_group_size, **options)
    for batch in table.to_batches():
        out.add(batch)
    out.close()
    for f in files:
        f.unlink()
    return table.select(list(key))


def link_all(source: Path, staging: Path) -> None:
    """Hard-link every part file of ``source`` into ``staging`` (append without copying)."""
    for part in _parts(source):
        os.link(part, staging / part.name)


def carry_over(
    current: Path,
    staging: Path,
    keys: pa.Table,
    schema: pa.Schema,
    run_id: str,
    row_group_size: int,
    options: dict[str, Any],
) -> None:
    """Bring the published rows whose key is not in ``keys`` into ``staging``."""
    names = keys.column_names
    for number, part in enumerate(_parts(current)):
        old_keys = pq.read_table(part, columns=names)
        same_schema = pq.read_schema(part).remove_metadata().equals(schema.remove_metadata())
        if same_schema and _anti(old_keys, keys, names).num_rows == old_keys.num_rows:
            os.link(part, staging / part.name)  # untouched by this run's keys
            continue
        out = PartWriter(
            staging / f"part-{run_id}-kept{number:05d}.parquet", schema, row_group_size, **options
        )
        for batch in pq.ParquetFile(part).iter_batches(batch_size=row_group_size):
            kept = _anti(pa.Table.from_batches([batch]), keys, names)
            for piece in _conform(kept, schema, part).to_batches():
                out.add(piece)
        out.close()


def _anti(table: pa.Table, keys: pa.Table, names: list[str]) -> pa.Table:
    if table.num_rows == 0:
        return table
    try:
        return table.join(keys, keys=names, join_type="left anti", use_threads=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise ParquetError(
            f"cannot merge on key {names}: the published and new key columns differ ({exc}); "
            "rerun with --full-refresh to replace the store"
        ) from exc


def _conform(table: pa.Table, schema: pa.Schema, part: Path) -> pa.Table:
    try:
        return table.select(schema.names).cast(schema)
    except (KeyError, pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as exc:
        raise ParquetError(
            f"the published rows in {part.name} do not match the new rows' schema ({exc}); "
            "rerun with --full-refresh to replace the store"
        ) from exc
