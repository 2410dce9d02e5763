"""``StoreContract``: the test suite every data-flow store's tests subclass.

::

    class TestParquetStore(StoreContract):
        store_class = ParquetStore

        def make_store(self, tmp_path, *, key):
            return EntitySpec(flow="f", name="orders", project_dir=tmp_path, key=key,
                              timestamp="updated_at" if key else None,
                              home=HomeConfig(type="none"),
                              store=ParquetStoreConfig(type="parquet", path="out/orders"))

        def make_batch(self, rows):
            return pa.RecordBatch.from_pylist(rows)

        def read_store(self, spec):
            path = spec.resolve("out/orders")
            return pq.read_table(path).to_pylist() if path.exists() else []

It checks: publish makes exactly the written rows visible and reports rows
and ``max(timestamp)``; nothing is visible before publish; ``abort()`` leaves
no trace and is idempotent; a reader during publish sees the old or the new
contents, never a mix; with a ``key``, publishing upserts (a rerun never
duplicates) and an empty publish keeps what is there; ``full_refresh``
replaces; unknown config fields are rejected. "No trace" compares
:meth:`artifacts` (every file under the project directory by default;
override it for a database) before and after. No pyarrow import here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import pytest

from ..dataflows.protocols import Batch, EntitySpec
from .home_contract import normalize_row, sample_rows

__all__ = ["StoreContract"]


class StoreContract:
    """Checks a store: subclass it, set :attr:`store_class`, define the three methods below."""

    #: The provider's Store class (with ``config_model``).
    store_class: ClassVar[type[Any]]
    #: Rows written in the atomic-publish test (enough for publish to take a while).
    atomic_rows: ClassVar[int] = 20_000

    def make_store(self, tmp_path: Path, *, key: tuple[str, ...] | None) -> EntitySpec:
        """A spec writing under ``tmp_path``; with ``key``, ``timestamp="updated_at"`` too."""
        raise NotImplementedError(f"{type(self).__name__} must define make_store(tmp_path, key=)")

    def make_batch(self, rows: Sequence[Mapping[str, Any]]) -> Batch:
        """One batch holding ``rows`` (e.g. ``pyarrow.RecordBatch.from_pylist(rows)``)."""
        raise NotImplementedError(f"{type(self).__name__} must define make_batch(rows)")

    def read_store(self, spec: EntitySpec) -> list[dict[str, Any]]:
        """The published rows as dicts; ``[]`` when nothing was published. Called from threads."""
        raise NotImplementedError(f"{type(self).__name__} must define read_store(spec)")

    def artifacts(self, spec: EntitySpec) -> set[str]:
        """What exists for the store right now (default: every file under ``project_dir``)."""
        root = spec.project_dir
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    def normalize(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row made comparable to the written one."""
        return normalize_row(row)

    # -- helpers ----------------------------------------------------------------------------
    def published(self, spec: EntitySpec) -> list[dict[str, Any]]:
        return sorted((self.normalize(r) for r in self.read_store(spec)), key=lambda r: r["id"])

    def expected(self, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return sorted((self.normalize(r) for r in rows), key=lambda r: r["id"])

    async def publish(
        self, spec: EntitySpec, *batches: Sequence[Mapping[str, Any]], full_refresh: bool = False
    ) -> Any:
        store = self.store_class(spec)
        await store.begin(full_refresh=full_refresh)
        for rows in batches:
            await store.write(self.make_batch(rows))
        return await store.publish()

    # -- the contract -----------------------------------------------------------------------
    async def test_publish_makes_rows_visible(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        data = sample_rows(30)
        result = await self.publish(spec, data[:10], data[10:25], data[25:])
        assert self.published(spec) == self.expected(data)
        assert result.rows == len(data)
        latest = max(r["updated_at"] for r in data)
        assert normalize_row({"t": result.max_timestamp})["t"] == latest

    async def test_nothing_visible_before_publish(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        old = sample_rows(5)
        await self.publish(spec, old)
        store = self.store_class(spec)
        await store.begin(full_refresh=False)
        await store.write(self.make_batch(sample_rows(10, start=100)))
        assert self.published(spec) == self.expected(old), "staged rows were visible"
        await store.publish()
        assert len(self.published(spec)) == 15

    async def test_abort_leaves_nothing(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        old = sample_rows(5)
        await self.publish(spec, old)
        before = self.artifacts(spec)
        store = self.store_class(spec)
        await store.begin(full_refresh=False)
        await store.write(self.make_batch(sample_rows(10, start=100)))
        await store.abort()
        await store.abort()  # idempotent
        assert self.artifacts(spec) == before, "abort() left staging behind"
        assert self.published(spec) == self.expected(old)

    async def test_abort_before_begin_is_harmless(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=None)
        await self.store_class(spec).abort()
        assert self.published(spec) == []

    async def test_publish_is_atomic_for_readers(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        old, new = sample_rows(self.atomic_rows), sample_rows(self.atomic_rows, version=2)
        await self.publish(spec, old)
        seen: list[tuple[int, frozenset[str]]] = []
        done, errors = threading.Event(), []

        def reader() -> None:
            try:
                while not done.is_set():
                    rows = self.read_store(spec)
                    versions = frozenset(str(r["name"]).rsplit("-", 1)[-1] for r in rows)
                    seen.append((len(rows), versions))
            except Exception as exc:  # reported below: a reader must never fail
                errors.append(exc)

        thread = threading.Thread(target=reader, name="store-contract-reader")
        thread.start()
        try:
            await self.publish(spec, *[new[i : i + 5000] for i in range(0, len(new), 5000)])
        finally:
            done.set()
            await asyncio.to_thread(thread.join)
        assert not errors, f"a reader failed during publish: {errors[0]!r}"
        for count, versions in seen:
            assert count == self.atomic_rows, f"a reader saw {count} rows during publish"
            assert versions in ({"v1"}, {"v2"}), f"a reader saw a mix: {sorted(versions)}"
        assert self.published(spec) == self.expected(new)

    async def test_merge_on_key_upserts(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        first = sample_rows(10)
        second = sample_rows(10, start=5, version=2)
        await self.publish(spec, first)
        await self.publish(spec, second)
        expected = self.expected(first[:5] + second)
        assert self.published(spec) == expected
        await self.publish(spec, second)  # a rerun of the same rows
        assert self.published(spec) == expected, "a rerun duplicated or lost rows"

    async def test_empty_publish_keeps_rows(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        await self.publish(spec, sample_rows(5))
        result = await self.publish(spec)
        assert result.rows == 0
        assert result.max_timestamp is None
        assert self.published(spec) == self.expected(sample_rows(5))

    async def test_full_refresh_replaces(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=("id",))
        await self.publish(spec, sample_rows(10))
        fresh = sample_rows(3, start=100, version=3)
        await self.publish(spec, fresh, full_refresh=True)
        assert self.published(spec) == self.expected(fresh)

    def test_describe_is_a_short_name(self, tmp_path: Path) -> None:
        text = self.store_class(self.make_store(tmp_path, key=None)).describe()
        assert isinstance(text, str), "describe() must return a str"
        assert text.strip(), "describe() must name the store"
        assert "\n" not in text, "describe() must be one line"

    def test_unknown_config_field_rejected(self, tmp_path: Path) -> None:
        spec = self.make_store(tmp_path, key=None)
        fields = {**spec.store.model_dump(), "no_such_option": 1}
        with pytest.raises(pydantic.ValidationError, match="no_such_option"):
            self.store_class.config_model.model_validate(fields)
