"""URIs, missing directories, unreadable files, and the shared observer's life cycle."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from flow.errors import SourceError, SourceTypeError, SourceURIError
from flow.live.uri import SourceURI
from flow.live.watcher import open_watcher
from flow_watcher_file import _inotify
from flow_watcher_file.watcher import FileAccessDenied, FileWatcher


def replace(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


# -- URIs -------------------------------------------------------------------------------------


async def test_relative_and_bare_paths_resolve_against_the_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_reading: Any
) -> None:
    (tmp_path / "config.yaml").write_bytes(b"here")
    monkeypatch.chdir(tmp_path)
    for uri in ("file:config.yaml", "config.yaml", "./config.yaml"):
        assert FileWatcher(uri).path == str(tmp_path / "config.yaml")
    reading = await open_reading("file:config.yaml?codec=yaml")  # codec is the Capacitor's
    assert (await reading.next()).value == b"here"


def test_absolute_forms() -> None:
    assert FileWatcher("file:///etc/app/config.yaml").path == "/etc/app/config.yaml"
    assert FileWatcher("file://localhost/etc/app.yaml").path == "/etc/app.yaml"
    assert FileWatcher("/etc/app/config.yaml").path == "/etc/app/config.yaml"
    assert FileWatcher(SourceURI.parse("file:/etc/a%20b.yaml")).path == "/etc/a b.yaml"


def test_open_watcher_finds_the_file_scheme(tmp_path: Path) -> None:
    watcher = open_watcher(f"file://{tmp_path}/x.yaml")
    assert isinstance(watcher, FileWatcher)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("file:/a.yaml?bogus=1", "unknown option"),
        ("file:/a.yaml?poll=maybe", "must be 1 or 0"),
        ("file:/a.yaml?interval=1", "only applies with poll=1"),
        ("file:/a.yaml?poll=1&interval=0", "positive number"),
        ("file:/a.yaml?poll=1&interval=nan", "positive number"),
        ("file://nas.example/a.yaml", "only name local files"),
        ("file:", "does not name a file"),
        ("file:/etc/", "does not name a file"),
        ("redis://127.0.0.1/0", "not a file: URI"),
    ],
)
def test_bad_uris_are_refused_with_a_clear_message(uri: str, message: str) -> None:
    with pytest.raises(SourceURIError, match=message) as caught:
        FileWatcher(uri)
    assert "file" in str(caught.value)


def test_passwords_never_reach_the_message() -> None:
    with pytest.raises(SourceURIError) as caught:
        FileWatcher("file://user:hunter22@nas.example/a.yaml")
    assert "hunter22" not in str(caught.value)


# -- missing and vanishing directories ------------------------------------------------------------


async def test_missing_parent_directories_are_waited_for(tmp_path: Path, open_reading: Any) -> None:
    target = tmp_path / "not" / "there" / "yet" / "config.yaml"
    reading = await open_reading(target)
    assert (await reading.next()).value is None
    (tmp_path / "not" / "there").mkdir(parents=True)  # one level at a time, as tools do
    (tmp_path / "not" / "there" / "yet").mkdir()
    replace(target, b"arrived")
    assert (await reading.next()).value == b"arrived"
    replace(target, b"and changes")
    assert (await reading.next()).value == b"and changes"


async def test_directory_deleted_and_recreated(tmp_path: Path, open_reading: Any) -> None:
    folder = tmp_path / "conf.d"
    folder.mkdir()
    target = folder / "config.yaml"
    target.write_bytes(b"v1")
    reading = await open_reading(target)
    assert (await reading.next()).value == b"v1"
    shutil.rmtree(folder)
    assert (await reading.next()).value is None
    folder.mkdir()
    replace(target, b"v2")
    assert (await reading.next()).value == b"v2"
    # The new directory is really watched (not the dead watch of the old one).
    replace(target, b"v3")
    assert (await reading.next()).value == b"v3"


async def test_directory_created_with_its_file_at_once(tmp_path: Path, open_reading: Any) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "config.yaml").write_bytes(b"whole")
    reading = await open_reading(tmp_path / "conf.d" / "config.yaml")
    assert (await reading.next()).value is None
    os.rename(staging, tmp_path / "conf.d")  # the directory appears already holding the file
    assert (await reading.next()).value == b"whole"


# -- things that are not readable files -----------------------------------------------------------


async def test_a_directory_at_the_path_is_a_source_type_error(
    tmp_path: Path, open_reading: Any
) -> None:
    (tmp_path / "config.yaml").mkdir()
    reading = await open_reading(tmp_path / "config.yaml", error_grace=0.2)
    with pytest.raises(SourceTypeError, match="is a directory; point the URI at a regular file"):
        await asyncio.wait_for(reading.iterator.__anext__(), 10)


async def test_a_fifo_neither_hangs_nor_is_read(tmp_path: Path, open_reading: Any) -> None:
    os.mkfifo(tmp_path / "config.yaml")
    reading = await open_reading(tmp_path / "config.yaml", error_grace=0.2)
    with pytest.raises(SourceTypeError, match="not a regular file"):
        await asyncio.wait_for(reading.iterator.__anext__(), 10)


async def test_a_directory_replaced_by_a_file_within_the_grace_is_read(
    tmp_path: Path, open_reading: Any
) -> None:
    (tmp_path / "config.yaml").mkdir()
    reading = await open_reading(tmp_path / "config.yaml", error_grace=30.0)
    first = asyncio.ensure_future(reading.next())
    await asyncio.sleep(0)  # let the first read fail (ordering only; the result is awaited)
    (tmp_path / "config.yaml").rmdir()
    replace(tmp_path / "config.yaml", b"a file after all")
    assert (await first).value == b"a file after all"


_AS_NOBODY = textwrap.dedent(
    """
    import asyncio, os, sys
    from flow_watcher_file.watcher import FileAccessDenied, FileWatcher

    async def main(path):
        watcher = FileWatcher(path, error_grace=0.3)
        try:
            await asyncio.wait_for(anext(watcher.changes()), 10)
        except FileAccessDenied as exc:
            print("denied:", exc)
        else:
            print("read it")
        # Within the grace, becoming readable is not an error: the chmod is an event.
        watcher = FileWatcher(path, error_grace=30)
        pending = asyncio.ensure_future(anext(watcher.changes()))
        await asyncio.sleep(0)  # let the first read fail (ordering only; the result is awaited)
        os.chmod(path, 0o644)
        print("then:", (await asyncio.wait_for(pending, 10)).value)
        await watcher.aclose()

    asyncio.run(main(sys.argv[1]))
    """
)


def test_permission_denied_is_retried_then_raised(tmp_path: Path) -> None:
    """Root reads everything, so the check runs in a child without root's DAC capabilities."""
    command = [sys.executable, "-c", _AS_NOBODY, str(tmp_path / "secret.yaml")]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("needs setpriv to drop root's capabilities (apt-get install util-linux)")
        command = [setpriv, "--bounding-set=-dac_override,-dac_read_search", *command]
    target = tmp_path / "secret.yaml"
    target.write_bytes(b"now readable")
    target.chmod(0)
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("denied: cannot read ")
    assert "permission denied" in lines[0]
    assert str(target) in lines[0]
    assert lines[1] == "then: b'now readable'"


def test_file_access_denied_is_a_source_error() -> None:
    assert issubclass(FileAccessDenied, SourceError)
    assert issubclass(FileAccessDenied, PermissionError)


# -- the shared observer (?poll=1, and inotify where it is not read on the loop) -------------------


def _observer_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if type(t).__name__.endswith("Observer")]


@pytest.fixture(params=["poll", "threads"])
def observed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A URI suffix for a mode that runs watchdog's observer thread.

    "threads" is what platforms without the on-loop inotify reader use
    (``_inotify.AVAILABLE`` false): watchdog's own inotify/FSEvents/kqueue observer.
    """
    if request.param == "threads":
        monkeypatch.setattr(_inotify, "AVAILABLE", False)
        return ""
    return "?poll=1&interval=0.05"


async def test_watchers_share_one_observer_and_the_last_close_stops_it(
    tmp_path: Path, open_reading: Any, observed: str
) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    readings = [
        await open_reading(f"file://{tmp_path}/one/a.yaml{observed}"),
        await open_reading(f"file://{tmp_path}/one/b.yaml{observed}"),
        await open_reading(f"file://{tmp_path}/two/c.yaml{observed}"),
    ]
    for reading in readings:
        assert (await reading.next()).value is None
    assert len(_observer_threads()) == 1
    await readings[0].close()
    await readings[2].close()
    assert len(_observer_threads()) == 1  # b still needs it
    replace(tmp_path / "one" / "b.yaml", b"still watched")
    assert (await readings[1].next()).value == b"still watched"
    await readings[1].close()
    assert _observer_threads() == []  # aclose() joined it: no deadline needed


async def test_changes_after_close_ends_at_once(tmp_path: Path) -> None:
    watcher = FileWatcher(f"file://{tmp_path}/a.yaml")
    await watcher.aclose()
    assert [c async for c in watcher.changes()] == []
    await watcher.aclose()  # idempotent


async def test_abandoning_the_iterator_releases_the_observer(tmp_path: Path, observed: str) -> None:
    watcher = FileWatcher(f"file://{tmp_path}/a.yaml{observed}")
    iterator = watcher.changes()
    assert (await anext(iterator)).value is None
    assert len(_observer_threads()) == 1
    await iterator.aclose()  # type: ignore[attr-defined]
    assert _observer_threads() == []
    await watcher.aclose()


async def test_a_symlinked_parent_directory_is_watched_through(
    tmp_path: Path, open_reading: Any
) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to("real")
    target = tmp_path / "link" / "config.yaml"
    reading = await open_reading(target)
    assert (await reading.next()).value is None
    replace(tmp_path / "real" / "config.yaml", b"through the link")
    assert (await reading.next()).value == b"through the link"
    replace(target, b"and by the link")
    assert (await reading.next()).value == b"and by the link"


async def test_a_renamed_parent_directory_is_caught_by_the_rescan(
    tmp_path: Path, open_reading: Any
) -> None:
    """inotify follows a renamed directory's inode and says nothing; the rescan notices."""
    folder = tmp_path / "conf.d"
    folder.mkdir()
    replace(folder / "config.yaml", b"v1")
    reading = await open_reading(folder / "config.yaml", rescan_interval=0.2)
    assert (await reading.next()).value == b"v1"
    folder.rename(tmp_path / "conf.old")
    folder.mkdir()
    replace(folder / "config.yaml", b"v2")
    assert (await reading.next()).value == b"v2"
    # And the new directory keeps being followed.
    replace(folder / "config.yaml", b"v3")
    assert (await reading.next(timeout=10)).value == b"v3"
