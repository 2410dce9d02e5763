"""``HomeContract``: the test suite every data-flow home's tests subclass.

::

    class TestParquetHome(HomeContract):
        home_class = ParquetHome

        def make_home(self, tmp_path, rows):
            pq.write_table(pa.Table.from_pylist(rows), tmp_path / "orders.parquet")
            return EntitySpec(flow="f", name="orders", project_dir=tmp_path,
                              home=ParquetHomeConfig(type="parquet", path="orders.parquet"),
                              store=StoreConfig(type="none"), key=("id",), timestamp="updated_at")

It checks: a full read returns exactly the data, in batches of at most
``batch_size`` rows; ``after=`` returns only rows whose timestamp is later;
column projection; an empty source; stopping early closes cleanly;
``describe()``; unknown config fields are rejected. Sample rows have ``id``
(int), ``name`` (str), ``amount`` (float) and ``updated_at`` (aware UTC
datetime); override :meth:`sample_rows` / :meth:`normalize` when a backend
stores them differently. This module does not import pyarrow: batches are
turned into rows by :meth:`rows_of` (``batch.to_pylist()`` by default).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import pydantic
import pytest

from ..dataflows.protocols import Batch, EntitySpec

__all__ = ["HomeContract", "collect", "normalize_row", "sample_rows"]

_T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sample_rows(n: int = 50, *, start: int = 0, version: int = 1) -> list[dict[str, Any]]:
    """``n`` rows (``id``, ``name``, ``amount``, ``updated_at``), ids and timestamps distinct."""
    return [
        {
            "id": i,
            "name": f"name-{i}-v{version}",
            "amount": i * 1.5 + version,
            "updated_at": _T0 + timedelta(minutes=i, seconds=version),
        }
        for i in range(start, start + n)
    ]


def normalize_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row made comparable across backends: aware UTC datetimes, floats to 9 digits."""
    out: dict[str, Any] = {}
    for name, value in row.items():
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        elif isinstance(value, float) and math.isfinite(value):
            value = round(value, 9)
        out[name] = value
    return out


async def collect(batches: AsyncIterator[Batch]) -> list[Batch]:
    """Every batch of an async iterator, in order."""
    return [batch async for batch in batches]


class HomeContract:
    """Checks a home: subclass it, set :attr:`home_class` and define :meth:`make_home`."""

    #: The provider's Home class (with ``config_model``).
    home_class: ClassVar[type[Any]]
    #: Rows per batch used by the contract (small, so that reads span several batches).
    batch_size: ClassVar[int] = 7

    def make_home(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        """Write ``rows`` as the home's data under ``tmp_path``; return a spec reading them.

        The spec must have ``timestamp="updated_at"`` and ``key=("id",)``. ``rows``
        may be empty: the home then exists with the sample columns and no rows.
        """
        raise NotImplementedError(f"{type(self).__name__} must define make_home(tmp_path, rows)")

    def sample_rows(self) -> list[dict[str, Any]]:
        """The data the contract writes (override to suit the backend's types)."""
        return sample_rows(50)

    def rows_of(self, batch: Any) -> list[dict[str, Any]]:
        """The rows of one batch as dicts (``batch.to_pylist()`` by default)."""
        return list(batch.to_pylist())

    def normalize(self, row: Mapping[str, Any]) -> dict[str, Any]:
        """A row made comparable to the written one (see :func:`normalize_row`)."""
        return normalize_row(row)

    # -- helpers ----------------------------------------------------------------------------
    def spec(self, tmp_path: Path, rows: Sequence[Mapping[str, Any]]) -> EntitySpec:
        spec = self.make_home(tmp_path, rows)
        return dataclasses.replace(spec, batch_size=self.batch_size)

    async def read(
        self, spec: EntitySpec, *, after: Any = None, columns: Sequence[str] | None = None
    ) -> tuple[list[Batch], list[dict[str, Any]]]:
        home = self.home_class(spec)
        batches = await collect(home.read(after=after, columns=columns))
        rows = [self.normalize(r) for b in batches for r in self.rows_of(b)]
        return batches, sorted(rows, key=lambda r: r["id"])

    # -- the contract -----------------------------------------------------------------------
    async def test_full_read_returns_every_row(self, tmp_path: Path) -> None:
        data = self.sample_rows()
        batches, rows = await self.read(self.spec(tmp_path, data), after=None)
        assert rows == sorted((self.normalize(r) for r in data), key=lambda r: r["id"])
        assert sum(b.num_rows for b in batches) == len(data)
        for batch in batches:
            assert batch.num_rows == len(self.rows_of(batch))

    async def test_batches_respect_batch_size(self, tmp_path: Path) -> None:
        data = self.sample_rows()
        batches, _ = await self.read(self.spec(tmp_path, data))
        assert len(batches) >= 2, "a read of 50 rows with batch_size 7 came as one batch"
        assert max(b.num_rows for b in batches) <= self.batch_size

    async def test_after_reads_only_newer_rows(self, tmp_path: Path) -> None:
        data = self.sample_rows()
        ordered = sorted(data, key=lambda r: r["updated_at"])
        after = ordered[len(ordered) // 2]["updated_at"]
        _, rows = await self.read(self.spec(tmp_path, data), after=after)
        expected = [self.normalize(r) for r in ordered if r["updated_at"] > after]
        assert rows == sorted(expected, key=lambda r: r["id"])
        assert rows, "the contract's after= leaves half of the rows"

    async def test_after_the_last_row_reads_nothing(self, tmp_path: Path) -> None:
        data = self.sample_rows()
        latest = max(r["updated_at"] for r in data)
        _, rows = await self.read(self.spec(tmp_path, data), after=latest)
        assert rows == []

    async def test_columns_projection(self, tmp_path: Path) -> None:
        data = self.sample_rows()
        _, rows = await self.read(self.spec(tmp_path, data), columns=["id", "name"])
        assert len(rows) == len(data)
        assert all(set(r) == {"id", "name"} for r in rows)
        assert [r["name"] for r in rows] == [r["name"] for r in sorted(data, key=lambda r: r["id"])]

    async def test_empty_source(self, tmp_path: Path) -> None:
        batches, rows = await self.read(self.spec(tmp_path, []))
        assert rows == []
        assert sum(b.num_rows for b in batches) == 0

    async def test_stopping_early_closes_cleanly(self, tmp_path: Path) -> None:
        home = self.home_class(self.spec(tmp_path, self.sample_rows()))
        iterator = home.read(after=None)
        first = await anext(iterator)
        assert first.num_rows > 0
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()  # must not raise, and must release what the read holds

    def test_describe_is_a_short_name(self, tmp_path: Path) -> None:
        home = self.home_class(self.spec(tmp_path, self.sample_rows()))
        text = home.describe()
        assert isinstance(text, str), "describe() must return a str"
        assert text.strip(), "describe() must name the home"
        assert "\n" not in text, "describe() must be one line"
        assert len(text) < 300, "describe() must be short"

    def test_unknown_config_field_rejected(self, tmp_path: Path) -> None:
        spec = self.spec(tmp_path, self.sample_rows())
        model = self.home_class.config_model
        fields = {**spec.home.model_dump(), "no_such_option": 1}
        with pytest.raises(pydantic.ValidationError, match="no_such_option"):
            model.model_validate(fields)
