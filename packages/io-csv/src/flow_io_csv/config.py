"""The ``home:`` and ``store:`` options of ``type: csv`` (validated by pydantic)."""

from __future__ import annotations

from typing import Literal

import pydantic
from flow.dataflows.arrow_types import check_column_types
from flow.dataflows.protocols import HomeConfig, StoreConfig

__all__ = ["CsvHomeConfig", "CsvStoreConfig"]


def _one_char(value: str, what: str) -> str:
    if len(value) != 1 or value in "\r\n":
        raise ValueError(f"{what} must be one character other than a line break, got {value!r}")
    return value


class CsvHomeConfig(HomeConfig):
    """``home: {type: csv, path: data/orders.csv, delimiter: ";", column_types: {...}}``."""

    type: Literal["csv"] = "csv"
    #: A CSV file, a directory of ``*.csv`` files, or a glob (``data/orders-*.csv``),
    #: relative to the project directory. ``.gz``/``.bz2`` files are decompressed.
    path: str = pydantic.Field(min_length=1)
    delimiter: str = ","
    #: The quoting character; ``null`` when fields are never quoted.
    quote_char: str | None = '"'
    #: Whether the first line holds the column names.
    header: bool = True
    #: Column names to use (required to name the columns of a file without a header;
    #: with ``header: true`` they replace the header line's names).
    column_names: list[str] | None = None
    #: Columns to read (all when omitted).
    columns: list[str] | None = None
    #: Arrow types per column (``int64``, ``timestamp[us, tz=UTC]``, ``decimal128(10, 2)``);
    #: the other columns are inferred from the first block of the first file.
    column_types: dict[str, str] = pydantic.Field(default_factory=dict)
    encoding: str = "utf8"
    #: Strings read as null (pyarrow's defaults when omitted: "", "NULL", "NA", …).
    null_values: list[str] | None = None
    #: ``error``: a row with the wrong number of fields fails the read, naming file and line;
    #: ``skip``: such rows are dropped.
    bad_rows: Literal["error", "skip"] = "error"
    #: Bytes parsed at a time (a bound on memory); derived from the batch size when omitted.
    block_size: int | None = pydantic.Field(default=None, ge=4096)

    @pydantic.field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str) -> str:
        return _one_char(value, "delimiter")

    @pydantic.field_validator("quote_char")
    @classmethod
    def _quote(cls, value: str | None) -> str | None:
        return None if value is None else _one_char(value, "quote_char")

    @pydantic.field_validator("column_types")
    @classmethod
    def _types(cls, value: dict[str, str]) -> dict[str, str]:
        check_column_types(value)
        return value

    @pydantic.model_validator(mode="after")
    def _names(self) -> CsvHomeConfig:
        if not self.header and not self.column_names:
            raise ValueError("header is false, so column_names must list the columns' names")
        return self


class CsvStoreConfig(StoreConfig):
    """``store: {type: csv, path: out/orders.csv, delimiter: ",", mode: replace}``."""

    type: Literal["csv"] = "csv"
    #: The published CSV file (relative to the project directory); replaced atomically.
    path: str = pydantic.Field(min_length=1)
    delimiter: str = ","
    #: Whether to write a header line with the column names.
    header: bool = True
    #: ``needed`` quotes only fields that need it, ``all_valid`` quotes every string,
    #: ``none`` never quotes (fails on a value that would need quotes).
    quoting: Literal["needed", "all_valid", "none"] = "needed"
    #: ``replace`` (each run publishes only its rows) or ``append`` (added to what is
    #: there). Entities with a ``key`` always merge (upsert) instead.
    mode: Literal["replace", "append"] = "replace"
    #: fsync the file and its directory before publishing (survives power loss, costs time).
    durable: bool = False

    @pydantic.field_validator("delimiter")
    @classmethod
    def _delimiter(cls, value: str) -> str:
        return _one_char(value, "delimiter")
