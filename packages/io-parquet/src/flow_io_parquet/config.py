"""The ``home:`` and ``store:`` options of ``type: parquet`` (validated by pydantic)."""

from __future__ import annotations

from typing import Any, Literal

import pydantic
from flow.dataflows.protocols import HomeConfig, StoreConfig

from ._filters import check_where

__all__ = ["COMPRESSIONS", "ParquetHomeConfig", "ParquetStoreConfig"]

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
    #: Rows per parquet row group; also the most rows the store holds in memory at once.
    row_group_size: int = pydantic.Field(default=262_144, ge=1, le=64 * 1024 * 1024)
    #: ``replace`` (each run publishes only its rows) or ``append`` (added to what is there).
    #: Entities with a ``key`` always merge (upsert) instead.
    mode: Literal["replace", "append"] = "replace"
    #: fsync files and directories before publishing (survives power loss, costs time).
    durable: bool = False
