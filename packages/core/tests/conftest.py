"""Fixtures shared by the core tests: asset registries, a project directory, metadata stores.

``registry`` is not autouse here (the live, testing and dataflows tests keep the
process-wide registries); the folders whose tests declare assets, schedules or
sensors turn it on in their own conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flow.assets import AssetRegistry, use_registry
from flow.assets.io_managers import clear_io_manager_cache
from flow.assets.schedules import default_schedules
from flow.assets.sensors import default_sensors
from flow.store import MetadataStore
from flow.testing.postgres import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]


@pytest.fixture
def registry() -> Iterator[AssetRegistry]:
    """A fresh default asset registry; schedules and sensors the test adds are removed."""
    clear_io_manager_cache()
    schedules = {s.name for s in default_schedules().snapshot()}
    sensors = {s.name for s in default_sensors().snapshot()}
    with use_registry() as fresh:
        yield fresh
    for item in default_schedules().snapshot():
        if item.name not in schedules:
            default_schedules().remove(item.name)
    for probe in default_sensors().snapshot():
        if probe.name not in sensors:
            default_sensors().remove(probe.name)
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
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL for a fresh, empty metadata store on SQLite and on a real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'flow.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def any_store(project: Path, store_url: str) -> Iterator[MetadataStore]:
    """A fresh metadata store on SQLite and on a real PostgreSQL, in a project directory."""
    with MetadataStore.open(store_url) as opened:
        yield opened
