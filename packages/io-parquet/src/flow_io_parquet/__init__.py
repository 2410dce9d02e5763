"""flow-io-parquet: Parquet home, store and IO manager for Flow (pyarrow).

The classes are imported lazily so that ``import flow_io_parquet`` stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
