"""Fixtures: every store test runs against SQLite and a real PostgreSQL (``store_url``,
shared from ../conftest.py), on a fresh database stamped by a fake clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flow.clock import FakeClock
from flow.store import MetadataStore

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.fixture
def clock() -> FakeClock:
    """Wall time starts at T0 and moves only when the test advances it."""
    return FakeClock(wall_offset=T0)


@pytest.fixture
def store(store_url: str, clock: FakeClock) -> Iterator[MetadataStore]:
    """An open store on a fresh database, stamping records with a fake clock."""
    with MetadataStore.open(store_url, clock=clock) as opened:
        yield opened
