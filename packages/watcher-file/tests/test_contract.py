"""flow-watcher-file against the watcher contract (flow.testing.WatcherContract)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import quote

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource
from flow_watcher_file import _inotify


class DirectorySource:
    """Keys are files in one temporary directory, written the way config tools do (by rename).

    A file has no server: ``stop``/``start`` do nothing, and writes while
    "down" simply happen, so the restart test checks that nothing is lost.
    """

    restartable = True
    writes_while_down = True

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, key: str) -> Path:
        return self.directory / f"{key}.bin"

    def uri(self, key: str) -> str:
        return "file://" + quote(str(self.path(key)))

    async def write(self, key: str, value: bytes) -> None:
        target = self.path(key)
        temporary = target.with_name(f".{target.name}.tmp")
        temporary.write_bytes(value)
        os.replace(temporary, target)

    async def delete(self, key: str) -> None:
        self.path(key).unlink()

    async def stop(self) -> None:
        """Nothing to stop: a local file has no server."""

    async def start(self) -> None:
        """Nothing to start."""


class TestFileWatcherContract(WatcherContract):
    # Files use no sockets; the check would only cost a psutil scan.
    leak_check_sockets = False

    @pytest.fixture
    def watcher_source(self, tmp_path: Path) -> WatcherSource:
        return DirectorySource(tmp_path)

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, DirectorySource)
        folder = source.directory / "a-directory"
        folder.mkdir(exist_ok=True)
        return [
            source.uri("k") + "?bogus=1",  # unknown option
            source.uri("k") + "?poll=maybe",  # bad option value
            source.uri("k") + "?interval=0.5",  # interval without poll=1
            source.uri("k") + "?poll=1&interval=-1",
            "file://fileserver.example/share/config.yaml",  # a remote host
            "file:",  # no path at all
            "file://" + quote(str(source.directory)) + "/",  # a directory, by its trailing slash
        ]


class TestPollingFileWatcherContract(TestFileWatcherContract):
    """The same contract with ``?poll=1`` (watchdog's PollingObserver), scanning every 50 ms."""

    # The burst test writes 1,000 files' worth of renames; scans see only some of them.
    burst_size = 200

    @pytest.fixture
    def watcher_source(self, tmp_path: Path) -> WatcherSource:
        return PollingSource(tmp_path)


class PollingSource(DirectorySource):
    def uri(self, key: str) -> str:
        return super().uri(key) + "?poll=1&interval=0.05"


class TestObserverThreadFileWatcherContract(TestFileWatcherContract):
    """The contract on watchdog's inotify observer thread: what platforms without the on-loop
    inotify reader (macOS, Windows, BSD) run, with their native observers."""

    @pytest.fixture(autouse=True)
    def observer_threads(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(_inotify, "AVAILABLE", False)
