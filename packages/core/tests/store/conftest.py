"""Fixtures: every store test runs against SQLite and a real PostgreSQL (started once)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flow.clock import FakeClock
from flow.store import MetadataStore
from flow.testing.postgres import PostgresServer, postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]

T0 = 1_700_000_000.0  # 2023-11-14T22:13:20Z


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL for a fresh, empty metadata store on each database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'flow.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def clock() -> FakeClock:
    """Wall time starts at T0 and moves only when the test advances it."""
    return FakeClock(wall_offset=T0)


@pytest.fixture
def store(store_url: str, clock: FakeClock) -> Iterator[MetadataStore]:
    """An open store on a fresh database, stamping records with a fake clock."""
    with MetadataStore.open(store_url, clock=clock) as opened:
        yield opened
