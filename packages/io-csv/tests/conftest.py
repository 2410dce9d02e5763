"""Fixtures shared by the flow-io-csv tests: specs over a temporary project directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from flow.testing import spec_factory
from flow.testing.specs import SpecFactory
from flow_io_csv.config import CsvHomeConfig, CsvStoreConfig


@pytest.fixture
def make_spec(tmp_path: Path) -> SpecFactory:
    """A spec factory: ``make_spec(home={...}, store={...}, key=..., timestamp=...)``."""
    return spec_factory(
        tmp_path,
        home=(CsvHomeConfig, {"type": "csv", "path": "in.csv"}),
        store=(CsvStoreConfig, {"type": "csv", "path": "out/orders.csv"}),
    )
