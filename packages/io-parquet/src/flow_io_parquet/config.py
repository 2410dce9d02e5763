"""The ``home:`` and ``store:`` options of ``type: parquet`` (validated by pydantic)."""

from __future__ import annotations

from typing import Any, Literal

import pydantic
from flow.dataflows.protocols import HomeConfig, StoreConfig

from ._filters import check_where

__all__ = ["COMPRESSIONS", "DEFAULT_DICTIONARY_LIMIT", "ParquetHomeConfig", "ParquetStoreConfig"]

DEFAULT_DICTIONARY_LIMIT = 64 * 1024
COMPRESSIONS = ("zstd", "snappy", "lz4", "gzip", "brotli", "none")


class ParquetHomeConfig(HomeConfig):
    """``home: {type: parquet, path: ..., partitioning: hive, columns: [...], where: [...]}``."""

    type: Literal["parquet"] = "parquet"
    #: A parquet file, or a directory of parquet files (relative to the project directory).
    path: str = pydantic.Field(min_length=1)
    #: ``hive`` to read ``key=value`` directories as columns.
    partitioning: Literal["hive"] | None = None
    #: Columns to read (all when omitted); filters may use columns not listed here.
    columns: list[str] | None = None
    #: ``[[column, op, value], ...]`` (AND), or a list of such lists (OR of ANDs).
    where: list[Any] | None = None

    @pydantic.field_validator("where")
    @classmethod
    def _where_shape(cls, value: list[Any] | None) -> list[Any] | None:
        if value is not None:
            check_where(value)  # raises a ValueError subclass that pydantic reports
        return value


class ParquetStoreConfig(StoreConfig):
    """``store: {type: parquet, path: ..., compression: zstd, row_group_size: ..., mode: ...}``."""

    type: Literal["parquet"] = "parquet"
    #: The published table: a directory of parquet files (a symlink Flow swaps atomically).
    path: str = pydantic.Field(min_length=1)
    compression: Literal["zstd", "snappy", "lz4", "gzip", "brotli", "none"] = "zstd"
    #: Codec level (zstd 1-22, gzip 1-9, brotli 0-11); the codec's default when omitted.
    compression_level: int | None = None
    #: Rows per parquet row group; the store holds about ``writers + 1`` row groups at once.
    row_group_size: int = pydantic.Field(default=131_072, ge=1, le=64 * 1024 * 1024)
    #: ``replace`` (each run publishes only its rows) or ``append`` (added to what is there).
    #: Entities with a ``key`` always merge (upsert) instead.
    mode: Literal["replace", "append"] = "replace"
    #: Part files written in parallel, one thread each (row groups dealt out in turn);
    #: default: the CPU count, at most 4. Memory held is about ``writers + 1`` row groups.
    writers: int | None = pydantic.Field(default=None, ge=1, le=64)
    #: fsync files and directories before publishing (survives power loss, costs time).
    durable: bool = False
    #: Bytes a column chunk's dictionary may grow to before that chunk falls back to plain
    #: encoding (0: no dictionary encoding). Small, so that only low-cardinality columns keep
    #: a dictionary: hashing every value of a high-cardinality column is the costliest part
    #: of writing, for no gain in size once zstd compresses the plain values.
    dictionary_limit: int = pydantic.Field(default=DEFAULT_DICTIONARY_LIMIT, ge=0)
