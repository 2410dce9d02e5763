"""Hook implementations of flow-io-parquet; nothing heavy is imported until used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl

__all__ = ["flow_register_homes", "flow_register_io_managers", "flow_register_stores"]


@hookimpl
def flow_register_homes(register: Register) -> None:
    """Register the ``parquet`` home (pyarrow is imported only when it is used)."""
    register("parquet", "flow_io_parquet.home:ParquetHome")


@hookimpl
def flow_register_stores(register: Register) -> None:
    """Register the ``parquet`` store."""
    register("parquet", "flow_io_parquet.store:ParquetStore")


@hookimpl
def flow_register_io_managers(register: Register) -> None:
    """Register the ``parquet`` IO manager of assets."""
    register("parquet", "flow_io_parquet.io_manager:ParquetIOManager")
