"""flow-io-parquet registers its home, store and IO manager through the plugin host."""

from __future__ import annotations

import subprocess
import sys

from flow.plugins import get_registry
from flow_io_parquet import ParquetHome, ParquetIOManager, ParquetStore


def test_registry_resolves_parquet_for_every_kind() -> None:
    registry = get_registry()
    assert registry.resolve("homes", "parquet") is ParquetHome
    assert registry.resolve("stores", "parquet") is ParquetStore
    assert registry.resolve("io_managers", "parquet") is ParquetIOManager


def test_plugin_module_does_not_import_pyarrow() -> None:
    code = "import flow_io_parquet.plugin, sys; print('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
