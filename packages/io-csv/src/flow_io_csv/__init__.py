"""flow-io-csv: CSV home and store for Flow (pyarrow.csv, streaming).

``home: {type: csv, ...}`` streams record batches from CSV files;
``store: {type: csv, ...}`` writes one CSV file through staging and an atomic
rename. The classes load lazily, so importing this package does not import pyarrow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import CsvConfigError, CsvDataError, CsvError

if TYPE_CHECKING:
    from .config import CsvHomeConfig as CsvHomeConfig
    from .config import CsvStoreConfig as CsvStoreConfig
    from .home import CsvHome as CsvHome
    from .store import CsvStore as CsvStore

_LAZY = {
    "CsvHome": "flow_io_csv.home",
    "CsvStore": "flow_io_csv.store",
    "CsvHomeConfig": "flow_io_csv.config",
    "CsvStoreConfig": "flow_io_csv.config",
}

__all__ = [
    "CsvConfigError",
    "CsvDataError",
    "CsvError",
    "CsvHome",
    "CsvHomeConfig",
    "CsvStore",
    "CsvStoreConfig",
]


def __getattr__(name: str) -> Any:
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'flow_io_csv' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
