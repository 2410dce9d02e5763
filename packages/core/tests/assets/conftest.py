"""Fixtures: an isolated default registry, a project dir, and real metadata stores."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flow.assets import AssetRegistry, use_registry
from flow.assets.io_managers import clear_io_manager_cache
from flow.store import MetadataStore
from flow.testing.postgres import PostgresServer, postgres_server

__all__ = ["postgres_server"]


@pytest.fixture(autouse=True)
def registry() -> Iterator[AssetRegistry]:
    """Each test decorates into a registry of its own; memory IO values do not leak."""
    clear_io_manager_cache()
    with use_registry() as fresh:
        yield fresh
    clear_io_manager_cache()


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory that is also the working directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FLOW_DATABASE_URL", raising=False)
    monkeypatch.delenv("FLOW_ASSETS_MODULE", raising=False)
    return tmp_path


@pytest.fixture
def store(project: Path) -> Iterator[MetadataStore]:
    """The project's SQLite metadata store."""
    with MetadataStore.open(project_dir=project) as opened:
        yield opened


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, project: Path) -> Iterator[MetadataStore]:
    """A fresh metadata store on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        with MetadataStore.open(project_dir=project) as opened:
            yield opened
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    url = server.create_database()
    try:
        with MetadataStore.open(url) as opened:
            yield opened
    finally:
        server.drop_database(url)
