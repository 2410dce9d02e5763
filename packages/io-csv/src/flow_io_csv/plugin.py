"""Hook implementations of flow-io-csv; nothing heavy is imported until used."""

from __future__ import annotations

from flow.plugins import Register, hookimpl

__all__ = ["flow_register_homes", "flow_register_stores"]


@hookimpl
def flow_register_homes(register: Register) -> None:
    """Register the ``csv`` home (pyarrow is imported only when it is used)."""
    register("csv", "flow_io_csv.home:CsvHome")


@hookimpl
def flow_register_stores(register: Register) -> None:
    """Register the ``csv`` store."""
    register("csv", "flow_io_csv.store:CsvStore")
