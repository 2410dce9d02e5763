"""Fixtures shared by the flow-io-csv tests: specs over a temporary project directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flow.dataflows.protocols import EntitySpec
from flow_io_csv.config import CsvHomeConfig, CsvStoreConfig


@pytest.fixture
def make_spec(tmp_path: Path) -> Callable[..., EntitySpec]:
    """A spec factory: ``make_spec(home={...}, store={...}, key=..., timestamp=...)``."""

    def make(
        home: dict[str, Any] | None = None,
        store: dict[str, Any] | None = None,
        *,
        key: tuple[str, ...] | None = None,
        timestamp: str | None = None,
        batch_size: int = 1000,
    ) -> EntitySpec:
        return EntitySpec(
            flow="test",
            name="orders",
            home=CsvHomeConfig(**({"type": "csv", "path": "in.csv"} | (home or {}))),
            store=CsvStoreConfig(**({"type": "csv", "path": "out/orders.csv"} | (store or {}))),
            key=key,
            timestamp=timestamp,
            batch_size=batch_size,
            project_dir=tmp_path,
        )

    return make
