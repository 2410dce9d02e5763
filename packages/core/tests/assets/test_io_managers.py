"""The built-in IO managers pass IOManagerContract; fs specifics: formats, atomicity, names."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flow.assets import FsIOManager, IOContext, MemoryIOManager, serialize_partition
from flow.assets.io_managers import (
    clear_io_manager_cache,
    resolve_io_manager,
    store_atomically,
)
from flow.errors import IOManagerError
from flow.testing.io_manager_contract import IOManagerContract


class TestMemoryIOManager(IOManagerContract):
    def make_io_manager(self, tmp_path: Path) -> Any:
        return MemoryIOManager()


class TestFsIOManagerJson(IOManagerContract):
    def make_io_manager(self, tmp_path: Path) -> Any:
        return FsIOManager(tmp_path / "assets")


class TestFsIOManagerPickle(IOManagerContract):
    samples = ({"a": (1, 2)}, {1, 2}, date(2026, 1, 1), b"bytes", None)

    def make_io_manager(self, tmp_path: Path) -> Any:
        return FsIOManager(tmp_path / "assets", format="pickle")


class AsyncMemory:
    """An IO manager with async methods: the contract must drive it too."""

    def __init__(self) -> None:
        self.inner = MemoryIOManager()

    async def store(self, context: IOContext, value: Any) -> None:
        self.inner.store(context, value)

    async def load(self, context: IOContext) -> Any:
        return self.inner.load(context)


class TestAsyncIOManager(IOManagerContract):
    def make_io_manager(self, tmp_path: Path) -> Any:
        return AsyncMemory()


def _ctx(key: str, partition: Any = None) -> IOContext:
    text = None if partition is None else serialize_partition(partition)
    return IOContext(key, partition, text, "r")


def test_fs_layout_is_safe_and_readable(tmp_path: Path) -> None:
    fs = FsIOManager(tmp_path)
    fs.store(_ctx("sales/daily"), [1])
    fs.store(_ctx("sales/daily", date(2026, 1, 2)), [2])
    fs.store(_ctx("sales/daily", "../../x"), [3])
    assert (tmp_path / "sales" / "daily.json").read_text() == "[1]"
    assert (tmp_path / "sales" / "daily" / "d%3A2026-01-02.json").is_file()
    files = sorted(p.name for p in (tmp_path / "sales" / "daily").iterdir())
    assert "s%3A..%2F..%2Fx.json" in files
    assert all(tmp_path in p.parents for p in tmp_path.rglob("*"))
    long_key = "y" * 500
    fs.store(_ctx("sales/daily", long_key), "long")
    assert fs.load(_ctx("sales/daily", long_key)) == "long"
    assert fs.path(_ctx("sales/daily", long_key)).name.startswith("h-")


def test_fs_json_refuses_what_it_cannot_store(tmp_path: Path) -> None:
    fs = FsIOManager(tmp_path)
    with pytest.raises(IOManagerError, match="format='pickle'"):
        fs.store(_ctx("thing"), {1, 2})
    with pytest.raises(IOManagerError, match="not json-serializable"):
        fs.store(_ctx("thing"), float("nan"))
    assert not list(tmp_path.rglob("*.json"))
    with pytest.raises(IOManagerError, match="format must be"):
        FsIOManager(tmp_path, format="yaml")  # type: ignore[arg-type]


def test_fs_write_is_atomic_and_leaves_no_temp_files(tmp_path: Path) -> None:
    fs = FsIOManager(tmp_path)
    fs.store(_ctx("atomic"), {"v": 1})
    path = fs.path(_ctx("atomic"))
    before = os.stat(path).st_ino
    fs.store(_ctx("atomic"), {"v": 2})
    assert os.stat(path).st_ino != before  # replaced by rename, never rewritten in place
    assert fs.load(_ctx("atomic")) == {"v": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["atomic.json"]


def test_fs_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    fs = FsIOManager(tmp_path)
    fs.path(_ctx("corrupt")).write_text("{not json")
    with pytest.raises(IOManagerError, match=r"could not decode asset 'corrupt'"):
        fs.load(_ctx("corrupt"))


def test_fs_unwritable_root_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a directory")
    fs = FsIOManager(blocker)
    with pytest.raises(IOManagerError, match="could not write asset 'k'"):
        fs.store(_ctx("k"), 1)


def test_a_failed_write_keeps_the_old_value_and_leaves_no_temp_file(tmp_path: Path) -> None:
    fs = FsIOManager(tmp_path)
    fs.store(_ctx("k"), {"v": 1})

    def half_then_fail(temp: Path) -> None:
        temp.write_bytes(b'{"v": 2')  # half a value, then the disk fills up
        raise OSError(28, "No space left on device")

    with pytest.raises(IOManagerError, match=r"could not write asset 'k'.*No space left"):
        store_atomically(fs.path(_ctx("k")), half_then_fail, context=_ctx("k"), manager="fs")
    assert fs.load(_ctx("k")) == {"v": 1}
    assert not [p for p in fs.path(_ctx("k")).parent.iterdir() if p.name.startswith(".tmp-")]


def test_registered_managers_resolve_through_the_plugin_registry(tmp_path: Path) -> None:
    clear_io_manager_cache()
    memory = resolve_io_manager("memory", tmp_path)
    assert isinstance(memory, MemoryIOManager)
    assert resolve_io_manager("memory", tmp_path) is memory
    fs = resolve_io_manager("fs", tmp_path)
    assert isinstance(fs, FsIOManager)
    assert fs.root == tmp_path.absolute() / ".flow" / "assets"
    assert fs.format == "json"
    with pytest.raises(IOManagerError, match=r"no io manager named 'nope'; known: .*fs, memory"):
        resolve_io_manager("nope", tmp_path)
    override = MemoryIOManager()
    assert resolve_io_manager("fs", tmp_path, {"fs": override}) is override
