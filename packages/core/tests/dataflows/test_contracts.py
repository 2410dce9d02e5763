"""HomeContract and StoreContract, run against the JSON-file test provider (no pyarrow).

This checks the contracts themselves: they pass for a correct provider, and
the broken stores below are caught by the points they break.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from flow.dataflows import EntitySpec, HomeConfig, PublishResult, StoreConfig
from flow.testing.home_contract import HomeContract
from flow.testing.store_contract import StoreContract

from .conftest import provider


class TestJsonHome(HomeContract):
    home_class = provider.JsonHome

    def make_home(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        (tmp_path / "data.json").write_text(provider.dump([dict(r) for r in rows]))
        return EntitySpec(
            flow="contract",
            name="orders",
            home=provider.JsonHomeConfig(type="jsonl", path="data.json"),
            store=StoreConfig(type="none"),
            key=("id",),
            timestamp="updated_at",
            project_dir=tmp_path,
        )


class TestJsonStore(StoreContract):
    store_class = provider.JsonStore

    def make_store(self, tmp_path: Path, *, key: tuple[str, ...] | None) -> EntitySpec:
        return EntitySpec(
            flow="contract",
            name="orders",
            home=HomeConfig(type="none"),
            store=provider.JsonStoreConfig(type="jsonl", path="out/orders.json"),
            key=key,
            timestamp="updated_at" if key else None,
            project_dir=tmp_path,
        )

    def make_batch(self, rows: Sequence[Mapping[str, Any]]) -> Any:
        return provider.Rows([dict(r) for r in rows])

    def read_store(self, spec: EntitySpec) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = provider.read_rows(spec.resolve("out/orders.json"))
        return rows


class _LeakyStore(provider.JsonStore):  # type: ignore[misc,name-defined]
    async def abort(self) -> None:
        """Forgets to remove staging."""


class _VisibleStore(provider.JsonStore):  # type: ignore[misc,name-defined]
    async def write(self, batch: Any) -> None:
        """Writes straight into the published file."""
        existing = provider.read_rows(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(provider.dump(existing + batch.rows))

    async def publish(self) -> PublishResult:
        return PublishResult(rows=0)


class _DuplicatingStore(provider.JsonStore):  # type: ignore[misc,name-defined]
    async def publish(self) -> PublishResult:
        staged = [r for line in self.staging.read_text().splitlines() for r in provider.load(line)]
        self.path.write_text(provider.dump(provider.read_rows(self.path) + staged))
        self.staging.unlink()
        return PublishResult(rows=len(staged))


@pytest.mark.parametrize(
    ("store", "check"),
    [
        (_LeakyStore, "test_abort_leaves_nothing"),
        (_VisibleStore, "test_nothing_visible_before_publish"),
        (_DuplicatingStore, "test_merge_on_key_upserts"),
    ],
)
async def test_store_contract_catches_broken_stores(
    tmp_path: Path, store: type[Any], check: str
) -> None:
    suite = type("Broken", (TestJsonStore,), {"store_class": store})()
    with pytest.raises(AssertionError):
        await getattr(suite, check)(tmp_path)


class _IgnoresAfter(provider.JsonHome):  # type: ignore[misc,name-defined]
    def read(self, *, after: Any | None, columns: Sequence[str] | None = None) -> Any:
        return super().read(after=None, columns=columns)


async def test_home_contract_catches_a_home_ignoring_after(tmp_path: Path) -> None:
    suite = type("Broken", (TestJsonHome,), {"home_class": _IgnoresAfter})()
    with pytest.raises(AssertionError):
        await suite.test_after_reads_only_newer_rows(tmp_path)
