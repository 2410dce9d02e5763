"""``spec_factory``: build the :class:`EntitySpec` a home or store test needs, in one line each.

A provider's conftest names its config classes and their defaults once::

    @pytest.fixture
    def make_spec(tmp_path):
        return spec_factory(
            tmp_path,
            home=(CsvHomeConfig, {"type": "csv", "path": "in.csv"}),
            store=(CsvStoreConfig, {"type": "csv", "path": "out/orders.csv"}),
        )

and each test overrides only what it is about:
``make_spec(home={"delimiter": ";"}, key=("id",))``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from ..dataflows.protocols import EntitySpec

__all__ = ["SpecFactory", "spec_factory"]

#: A config class (a pydantic model) and the defaults every spec starts from.
ConfigDefaults = tuple[Any, Mapping[str, Any]]


class SpecFactory(Protocol):
    """Makes an ``EntitySpec`` named ``test.orders`` from overrides of the defaults."""

    def __call__(
        self,
        home: Mapping[str, Any] | None = None,
        store: Mapping[str, Any] | None = None,
        *,
        key: tuple[str, ...] | None = None,
        timestamp: str | None = None,
        batch_size: int = 1000,
    ) -> EntitySpec: ...


def spec_factory(project_dir: Path, *, home: ConfigDefaults, store: ConfigDefaults) -> SpecFactory:
    """A :class:`SpecFactory` whose home and store configs merge overrides into the defaults."""
    home_config, home_defaults = home
    store_config, store_defaults = store

    def make(
        home: Mapping[str, Any] | None = None,
        store: Mapping[str, Any] | None = None,
        *,
        key: tuple[str, ...] | None = None,
        timestamp: str | None = None,
        batch_size: int = 1000,
    ) -> EntitySpec:
        return EntitySpec(
            flow="test",
            name="orders",
            home=home_config(**{**home_defaults, **(home or {})}),
            store=store_config(**{**store_defaults, **(store or {})}),
            key=key,
            timestamp=timestamp,
            batch_size=batch_size,
            project_dir=project_dir,
        )

    return make
