"""flow-watcher-zookeeper against the watcher contract (flow.testing.WatcherContract)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource
from flow_watcher_zookeeper.testing import ZNodeSource, put


class TestZooKeeperWatcherContract(WatcherContract):
    @pytest.fixture
    def watcher_source(self, znodes: ZNodeSource) -> WatcherSource:
        source: WatcherSource = znodes
        return source

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, ZNodeSource)
        hosts = source.server.hosts
        guarded = source.path(self.new_key("guarded"))
        # A node only the admin's identity may read: wrong and missing credentials are refused.
        put(source.admin, guarded, b"secret", acl=source.acl())
        assert source.credentials is not None
        user = source.credentials[0]
        return [
            f"zk://{hosts}/app?bogus=1",  # unknown option
            f"zk://{hosts}/app?session_timeout=soon",  # bad option value
            f"zk://{hosts}",  # no znode
            f"zk://{hosts}/",  # the root is not a config node
            f"zk://{hosts}/app//config",  # empty path segment
            f"zk://{hosts}/app/config/",  # trailing slash
            f"zk://{hosts}/app/../config",  # relative segment
            "zk://127.0.0.1:99999/app",  # port out of range
            f"zk://{user}@{hosts}/app",  # user without password
            source.uri_of(guarded, f"{user}:wrong-Passw0rd@"),  # refused by the ACL
            source.uri_of(guarded),  # no credentials for a guarded node
        ]
