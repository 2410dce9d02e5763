"""flow-io-sql: SQL home and store for Flow (SQLAlchemy; ADBC as the Arrow-native fast path).

``home: {type: sql, ...}`` streams a table or query as record batches;
``store: {type: sql, ...}`` writes a table through a staging table and one
publishing transaction. The classes load lazily, so importing this package
imports neither pyarrow nor SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flow.plugins import lazy_exports

from ._errors import SqlConfigError, SqlError

if TYPE_CHECKING:
    from .config import SqlHomeConfig as SqlHomeConfig
    from .config import SqlStoreConfig as SqlStoreConfig
    from .home import SqlHome as SqlHome
    from .store import SqlStore as SqlStore

_LAZY = {
    "SqlHome": "flow_io_sql.home",
    "SqlStore": "flow_io_sql.store",
    "SqlHomeConfig": "flow_io_sql.config",
    "SqlStoreConfig": "flow_io_sql.config",
}

__all__ = [
    "SqlConfigError",
    "SqlError",
    "SqlHome",
    "SqlHomeConfig",
    "SqlStore",
    "SqlStoreConfig",
]


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, __all__)
