"""Fixtures shared by the flow-io-parquet tests: specs and sample parquet data."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa  # type: ignore[import-untyped]
import pytest
from flow.testing import spec_factory
from flow.testing.specs import SpecFactory
from flow_io_parquet.config import ParquetHomeConfig, ParquetStoreConfig

BASE = datetime(2026, 1, 1)


def sample(start: int, count: int, *, version: str = "v1") -> pa.Table:
    """Rows ``start .. start+count-1`` with an id key, a timestamp and a payload."""
    ids = list(range(start, start + count))
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "ts": pa.array([BASE + timedelta(seconds=i) for i in ids], pa.timestamp("us")),
            "region": pa.array(["eu" if i % 2 else "us" for i in ids]),
            "amount": pa.array([i * 1.5 for i in ids]),
            "note": pa.array([f"{version}-{i}" for i in ids]),
        }
    )


@pytest.fixture
def make_spec(tmp_path: Path) -> SpecFactory:
    """A spec factory: ``make_spec(home={...}, store={...}, key=..., timestamp=...)``."""
    return spec_factory(
        tmp_path,
        home=(ParquetHomeConfig, {"type": "parquet", "path": "src"}),
        store=(ParquetStoreConfig, {"type": "parquet", "path": "out/orders"}),
    )


@pytest.fixture(name="sample")
def sample_fixture() -> Callable[..., pa.Table]:
    """The :func:`sample` table factory (tests cannot import conftest in importlib mode)."""
    return sample
