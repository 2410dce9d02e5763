"""``IOManagerContract``: the test suite every IO manager's tests subclass.

::

    class TestFsIOManager(IOManagerContract):
        def make_io_manager(self, tmp_path):
            return FsIOManager(tmp_path / "assets")

        samples = [{"a": 1}, [1, 2], "text", 3.5, None]   # values that must round-trip

        def sample_value(self, key, n):                  # optional: what the other tests store
            return {"key": key, "n": n}

It checks: a round trip per partition (unpartitioned, dates, tuples, strings
with separators), a missing value raising :class:`~flow.errors.IOManagerError`
that names the asset, overwriting, partitions and keys kept apart, keys that
would traverse paths refused, and concurrent stores from several threads.
``store``/``load`` may be sync or ``async def``. Values are compared with ``==``.

Besides :attr:`samples`, the tests store values made by :meth:`sample_value`
(plain dicts by default); an IO manager that only stores some kinds of values
(tables, say) overrides it to make values of its own kind.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest

from ..assets.io_managers import IOContext
from ..assets.partitions import serialize_partition
from ..errors import FlowError, IOManagerError

__all__ = ["IOManagerContract"]

_PARTITIONS: tuple[Any, ...] = (
    None,
    date(2026, 1, 31),
    "eu/west:1|x",
    ("2026-01-01", 3),
    "..",
)
_BAD_KEYS = ("../escape", "/etc/passwd", "a/../../b", "a\\..\\b", "", "a//b")


def _ctx(key: str, partition: Any = None) -> IOContext:
    text = None if partition is None else serialize_partition(partition)
    return IOContext(asset_key=key, partition=partition, partition_text=text, run_id="contract")


class IOManagerContract:
    """Checks an IO manager. Subclass in a ``Test…`` class and define :meth:`make_io_manager`."""

    #: Values that must come back equal (``==``) after a store and a load.
    samples: ClassVar[Sequence[object]] = ({"a": 1, "b": [1, 2]}, [1, "two", None], "text", 3, None)
    #: How many threads store at once in the concurrency test.
    concurrency: ClassVar[int] = 8

    def make_io_manager(self, tmp_path: Path) -> Any:
        """A fresh IO manager whose data lives under ``tmp_path`` (override this)."""
        raise NotImplementedError(f"{type(self).__name__} must define make_io_manager(tmp_path)")

    def sample_value(self, key: str, n: int) -> object:
        """A value to store for asset ``key``: values for different ``(key, n)`` must differ.

        Used by every test except the round trip of :attr:`samples`; the default is a
        plain dict. Override it when the IO manager refuses plain Python values.
        """
        return {"key": key, "n": n}

    # -- helpers ----------------------------------------------------------------------------
    @staticmethod
    def call(result: Any) -> Any:
        """The value of a sync result, or of an awaitable (run to completion)."""
        if inspect.isawaitable(result):
            return asyncio.run(_wait(result))
        return result

    def store(self, manager: Any, context: IOContext, value: Any) -> None:
        self.call(manager.store(context, value))

    def load(self, manager: Any, context: IOContext) -> Any:
        return self.call(manager.load(context))

    # -- the contract -----------------------------------------------------------------------
    def test_has_store_and_load(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        assert callable(getattr(manager, "store", None)), (
            "an IO manager needs store(context, value)"
        )
        assert callable(getattr(manager, "load", None)), "an IO manager needs load(context)"

    def test_round_trip_per_partition(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        for partition in _PARTITIONS:
            for number, sample in enumerate(self.samples):
                key = f"contract/sample_{number}"
                self.store(manager, _ctx(key, partition), sample)
                loaded = self.load(manager, _ctx(key, partition))
                assert loaded == sample, (
                    f"{sample!r} (partition {partition!r}) came back {loaded!r}"
                )

    def test_missing_value_is_a_clear_error(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        with pytest.raises(IOManagerError) as info:
            self.load(manager, _ctx("never_stored"))
        assert "never_stored" in str(info.value), f"the error should name the asset: {info.value}"
        self.store(manager, _ctx("stored_once", date(2026, 1, 1)), self.sample_value("once", 1))
        with pytest.raises(IOManagerError):
            self.load(manager, _ctx("stored_once", date(2026, 1, 2)))
        with pytest.raises(IOManagerError):
            self.load(manager, _ctx("stored_once"))

    def test_overwrite_replaces(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        first, second = self.samples[0], self.samples[-2]
        self.store(manager, _ctx("over"), first)
        self.store(manager, _ctx("over"), second)
        assert self.load(manager, _ctx("over")) == second

    def test_partitions_and_keys_are_isolated(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        # The string "2026-01-01" and the date 2026-01-01 are different partitions.
        places = [
            ("iso", date(2026, 1, 1)),
            ("iso", "2026-01-01"),
            ("iso", None),
            ("iso/nested", date(2026, 1, 1)),
            ("iso_nested", date(2026, 1, 1)),
        ]
        values = {place: self.sample_value(place[0], n) for n, place in enumerate(places)}
        for (key, partition), value in values.items():
            self.store(manager, _ctx(key, partition), value)
        for (key, partition), value in values.items():
            assert self.load(manager, _ctx(key, partition)) == value, (key, partition)

    @pytest.mark.parametrize("bad_key", _BAD_KEYS)
    def test_path_traversal_keys_are_refused(self, tmp_path: Path, bad_key: str) -> None:
        manager = self.make_io_manager(tmp_path)
        with pytest.raises(FlowError):
            self.store(manager, _ctx(bad_key), self.sample_value("escape", 0))
        with pytest.raises(FlowError):
            self.load(manager, _ctx(bad_key))
        outside = list(tmp_path.parent.glob("escape*"))
        assert not outside, f"a file escaped the IO manager's root: {outside}"

    def test_concurrent_stores(self, tmp_path: Path) -> None:
        manager = self.make_io_manager(tmp_path)
        keys = [f"concurrent_{i}" for i in range(self.concurrency)]

        def work(key: str) -> None:
            for round_ in range(5):
                self.store(manager, _ctx(key), self.sample_value(key, round_))
                self.store(manager, _ctx("shared"), self.sample_value(key, round_))

        with concurrent.futures.ThreadPoolExecutor(self.concurrency) as pool:
            list(pool.map(work, keys))
        for key in keys:
            assert self.load(manager, _ctx(key)) == self.sample_value(key, 4)
        shared = self.load(manager, _ctx("shared"))
        finals = [self.sample_value(k, 4) for k in keys]
        assert any(shared == final for final in finals), f"torn value: {shared!r}"


async def _wait(awaitable: Any) -> Any:
    return await awaitable
