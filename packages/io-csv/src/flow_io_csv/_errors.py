"""The errors of flow-io-csv (under :class:`flow.errors.DataFlowError`)."""

from __future__ import annotations

from flow.errors import DataFlowError

__all__ = ["CsvConfigError", "CsvDataError", "CsvError"]


class CsvError(DataFlowError):
    """A CSV home or store could not read or write its files."""


class CsvConfigError(CsvError, ValueError):
    """A CSV option, path or column name is wrong (the message says which and where)."""


class CsvDataError(CsvError, ValueError):
    """A CSV file holds a row or value that cannot be read (the message names file and line)."""

    # Retrying cannot fix a bad file; the runner reads this flag.
    transient = False
