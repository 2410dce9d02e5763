"""Upsert on key for the csv store: the rows of a run replace published rows with equal keys.

The merge is done in memory with pyarrow (the published file and the run's
rows, as Arrow tables): CSV has no index to merge against on disk. Memory is
about the size of both as Arrow data; use the parquet or sql store for
entities too large for that.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.compute as pc  # type: ignore[import-untyped]

__all__ = ["dedupe_last", "upsert"]

_SEQ = "__flow_seq"


def dedupe_last(table: pa.Table, key: Sequence[str]) -> pa.Table:
    """``table`` with one row per key: the last one (rows later in a run are newer)."""
    numbered = table.append_column(_SEQ, pa.array(range(table.num_rows), pa.int64()))
    last = numbered.group_by(list(key), use_threads=False).aggregate([(_SEQ, "max")])
    keep = pc.sort_indices(last.column(f"{_SEQ}_max"))
    return table.take(pc.take(last.column(f"{_SEQ}_max"), keep))


def upsert(current: pa.Table, new: pa.Table, key: Sequence[str]) -> pa.Table:
    """``current`` without the rows whose key is in ``new``, then ``new`` (keys unique in new).

    The kept rows stay in their published order.
    """
    numbered = current.append_column(_SEQ, pa.array(range(current.num_rows), pa.int64()))
    kept = numbered.join(new.select(list(key)), keys=list(key), join_type="left anti")
    kept = kept.sort_by(_SEQ).drop_columns([_SEQ])
    return pa.concat_tables([kept.select(new.schema.names).cast(new.schema), new])
