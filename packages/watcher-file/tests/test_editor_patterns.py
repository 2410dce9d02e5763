"""Every way a file gets changed on disk is seen: editors, mv, ConfigMap swaps, deletes."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
from pathlib import Path
from typing import Any

import pytest


def replace(path: Path, data: bytes) -> None:
    """Save by rename: write a temporary file beside ``path`` and rename it over."""
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


async def test_first_item_is_the_current_value(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"a: 1\n")
    reading = await open_reading(target)
    first = await reading.next()
    assert first.value == b"a: 1\n"
    info = target.stat()
    assert first.revision == f"{info.st_mtime_ns}:{info.st_size}:{info.st_ino}"


async def test_in_place_write(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    target.write_bytes(b"v2")
    await reading.until(b"v2")


async def test_rename_save(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    replace(target, b"v2")
    # A rename is atomic: nothing but the new value may be seen.
    assert (await reading.next()).value == b"v2"
    replace(target, b"v3")
    assert (await reading.next()).value == b"v3"


async def test_vim_style_backup_write_delete(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    backup = tmp_path / "config.yaml~"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    os.rename(target, backup)  # vim's 'backupcopy=no': original moved aside
    target.write_bytes(b"v2")
    backup.unlink()
    seen = await reading.until(b"v2")
    # On the way the file may briefly be missing or empty, but never the old bytes again.
    assert all(c.value in (None, b"", b"v2") for c in seen)
    target.write_bytes(b"v3")
    await reading.until(b"v3")


async def test_mv_over_from_another_directory(tmp_path: Path, open_reading: Any) -> None:
    watched, elsewhere = tmp_path / "etc", tmp_path / "staging"
    watched.mkdir()
    elsewhere.mkdir()
    target = watched / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    (elsewhere / "new.yaml").write_bytes(b"v2")
    mv = shutil.which("mv")
    assert mv is not None, "coreutils mv is part of every supported system"
    process = await asyncio.create_subprocess_exec(
        mv, "-f", str(elsewhere / "new.yaml"), str(target)
    )
    assert await process.wait() == 0
    assert (await reading.next()).value == b"v2"


async def test_configmap_symlink_swap(tmp_path: Path, open_reading: Any) -> None:
    """Kubernetes' layout: config.yaml -> ..data/config.yaml, ..data -> ..<timestamp>."""

    def publish(version: str, data: bytes) -> None:
        timestamped = tmp_path / f"..2026_11_21_{version}"
        timestamped.mkdir()
        (timestamped / "config.yaml").write_bytes(data)
        (tmp_path / "..data_tmp").symlink_to(timestamped.name)
        os.rename(tmp_path / "..data_tmp", tmp_path / "..data")  # the atomic swap

    publish("01", b"v1")
    (tmp_path / "config.yaml").symlink_to("..data/config.yaml")
    reading = await open_reading(tmp_path / "config.yaml")
    assert (await reading.next()).value == b"v1"

    publish("02", b"v2")
    shutil.rmtree(tmp_path / "..2026_11_21_01")  # kubelet removes the old version after the swap
    assert (await reading.next()).value == b"v2"
    publish("03", b"v3")
    assert (await reading.next()).value == b"v3"


async def test_missing_at_start_then_created(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    reading = await open_reading(target)
    assert (await reading.next()).value is None
    replace(target, b"created")
    assert (await reading.next()).value == b"created"


async def test_delete_then_recreate(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    target.unlink()
    deleted = await reading.next()
    assert deleted.value is None
    assert deleted.revision is None
    replace(target, b"v2")
    assert (await reading.next()).value == b"v2"
    target.unlink()
    assert (await reading.next()).value is None
    # Recreated with the very same bytes as before the delete: still a change (it existed not).
    replace(target, b"v2")
    assert (await reading.next()).value == b"v2"


async def test_truncate_then_write(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"a long first version")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"a long first version"
    with target.open("r+b") as handle:
        handle.truncate(0)
        handle.flush()
        os.fsync(handle.fileno())
        handle.write(b"short")
    seen = await reading.until(b"short")
    assert all(c.value in (b"", b"short") for c in seen)


async def test_partial_writes_end_with_the_last_bytes(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"")
    reading = await open_reading(target)
    assert (await reading.next()).value == b""
    with target.open("ab", buffering=0) as handle:
        for piece in (b"one,", b"two,", b"three"):
            handle.write(piece)  # each write fires an event mid-save
    seen = await reading.until(b"one,two,three")
    assert all(b"one,two,three".startswith(c.value or b"") for c in seen)


async def test_burst_is_coalesced_and_ends_with_the_latest(
    tmp_path: Path, open_reading: Any
) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"0")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"0"
    for i in range(1, 201):
        replace(target, str(i).encode())
    seen = await reading.until(b"200")
    values = [c.value for c in seen]
    assert len(values) <= 200
    assert all(a != b for a, b in itertools.pairwise(values)), "duplicates yielded"


@pytest.mark.slow
async def test_only_the_target_among_a_thousand_busy_files(
    tmp_path: Path, open_reading: Any
) -> None:
    others = [tmp_path / f"other-{i:04}.yaml" for i in range(1000)]
    for other in others:
        other.write_bytes(b"x")
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"

    for other in others:
        other.write_bytes(b"y")
    replace(target, b"v2")
    # Anything spurious (a re-yield of v1, another file's bytes) would come before v2.
    assert (await reading.next()).value == b"v2"
    for other in others:
        replace(other, b"z")
    replace(target, b"v3")
    assert (await reading.next()).value == b"v3"


async def test_two_watchers_on_two_files_in_one_directory(
    tmp_path: Path, open_reading: Any
) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_bytes(b"a1")
    second.write_bytes(b"b1")
    reading_a = await open_reading(first)
    reading_b = await open_reading(second)
    assert (await reading_a.next()).value == b"a1"
    assert (await reading_b.next()).value == b"b1"

    replace(first, b"a2")
    replace(second, b"b2")
    replace(first, b"a3")
    seen_a = await reading_a.until(b"a3")
    assert [c.value for c in seen_a] in ([b"a2", b"a3"], [b"a3"])
    assert (await reading_b.next()).value == b"b2"
    # b saw nothing of a's writes: its next item is its own next write.
    replace(first, b"a4")
    replace(second, b"b3")
    assert (await reading_b.next()).value == b"b3"
    assert (await reading_a.next()).value == b"a4"


async def test_two_watchers_on_one_file(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "config.yaml"
    target.write_bytes(b"v1")
    one, two = await open_reading(target), await open_reading(target)
    assert (await one.next()).value == (await two.next()).value == b"v1"
    await one.close()  # closing one must not stop the other's watch
    replace(target, b"v2")
    assert (await two.next()).value == b"v2"
