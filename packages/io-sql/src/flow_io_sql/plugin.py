"""Hook implementations of flow-io-sql; nothing heavy is imported until used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl

__all__ = ["flow_register_homes", "flow_register_stores"]


@hookimpl
def flow_register_homes(register: Register) -> None:
    """Register the ``sql`` home (SQLAlchemy and pyarrow are imported only when used)."""
    register("sql", "flow_io_sql.home:SqlHome")


@hookimpl
def flow_register_stores(register: Register) -> None:
    """Register the ``sql`` store."""
    register("sql", "flow_io_sql.store:SqlStore")
