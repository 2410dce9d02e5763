"""flow-io-csv: CSV home and store for Flow (pyarrow.csv, streaming).

``home: {type: csv, ...}`` streams record batches from CSV files;
``store: {type: csv, ...}`` writes one CSV file through staging and an atomic
rename. The classes load lazily, so importing this package does not import pyarrow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
