"""The WatcherContract suite, run in full against the in-memory watcher that keeps the contract."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource


class TestMemoryWatcherContract(WatcherContract):
    @pytest.fixture
    def watcher_source(self, make_source: Callable[..., WatcherSource]) -> WatcherSource:
        return make_source()

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        name = source.uri("k").split("/")[2]
        return [
            f"memtest://user:hunter2-secret@{name}/key?bogus=1",  # unknown option
            f"memtest://{name}/",  # no key
            "memtest://user:hunter2-secret@no-such-server/key",  # nothing listens there
        ]
