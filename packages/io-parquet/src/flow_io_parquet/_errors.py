"""The errors of flow-io-parquet (under :class:`flow.errors.DataFlowError`)."""

from __future__ import annotations

from flow.errors import DataFlowError

__all__ = ["ParquetConfigError", "ParquetError", "StoreBusyError"]


class ParquetError(DataFlowError):
    """A parquet home, store or IO manager could not read or write its data."""


class ParquetConfigError(ParquetError, ValueError):
    """A parquet option, filter or column name is wrong (the message says which and where)."""


class StoreBusyError(ParquetError):
    """Another run holds the store's lock (two runs must not write one store at once)."""
