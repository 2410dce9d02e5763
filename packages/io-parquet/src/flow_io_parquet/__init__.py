"""flow-io-parquet: Parquet home, store and IO manager for Flow (pyarrow).

The classes are imported lazily so that ``import flow_io_parquet`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .config import ParquetHomeConfig as ParquetHomeConfig
    from .config import ParquetStoreConfig as ParquetStoreConfig
    from .home import ParquetHome as ParquetHome
    from .io_manager import ParquetIOManager as ParquetIOManager
    from .store import ParquetStore as ParquetStore

__all__ = [
    "ParquetHome",
    "ParquetHomeConfig",
    "ParquetIOManager",
    "ParquetStore",
    "ParquetStoreConfig",
]

_LAZY = {
    "ParquetHome": ".home",
    "ParquetHomeConfig": ".config",
    "ParquetIOManager": ".io_manager",
    "ParquetStore": ".store",
    "ParquetStoreConfig": ".config",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'flow_io_parquet' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value
