"""zk:// URIs: hosts, znode path, credentials and options (no server needed)."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError
from flow.live.uri import SourceURI
from flow_watcher_zookeeper._address import (
    DEFAULT_BACKOFF_MAX,
    DEFAULT_SESSION_TIMEOUT,
    ZkAddress,
)
from flow_watcher_zookeeper.watcher import ZooKeeperWatcher


def address(uri: str) -> ZkAddress:
    return ZkAddress.from_uri(SourceURI.parse(uri))


def test_defaults_port_and_options() -> None:
    parsed = address("zk://zk.example/app/config")
    assert parsed.hosts == "zk.example:2181"
    assert parsed.path == "/app/config"
    assert parsed.auth_data == []
    assert parsed.session_timeout == DEFAULT_SESSION_TIMEOUT
    assert parsed.backoff_max == DEFAULT_BACKOFF_MAX


def test_comma_separated_hosts_each_keep_their_port() -> None:
    parsed = address("zk://a.example,b.example,[::1]:2183/app")
    assert parsed.hosts == "a.example:2181,b.example:2181,[::1]:2183"


def test_options_are_read_as_seconds() -> None:
    parsed = address("zk://h:1234/app?session_timeout=2.5&backoff_max=0.25&codec=yaml")
    assert (parsed.hosts, parsed.session_timeout, parsed.backoff_max) == ("h:1234", 2.5, 0.25)


def test_credentials_become_digest_auth_and_stay_out_of_repr() -> None:
    parsed = address("zk://reader:p%40ss-w0rd@h/app")
    assert parsed.auth_data == [("digest", "reader:p@ss-w0rd")]
    assert "p@ss" not in repr(parsed)
    assert parsed.display == "zk://reader:***@h/app"
    assert "p@ss" not in repr(ZooKeeperWatcher("zk://reader:p%40ss-w0rd@h/app"))


def test_non_ascii_path_is_decoded() -> None:
    assert address("zk://h/app/%E9%85%8D%E7%BD%AE").path == "/app/配置"


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("redis://h/app", "not a zk: URI"),
        ("zk://h/app?ttl=3", "unknown option"),
        ("zk://h/app?session_timeout=0", "positive number"),
        ("zk://h/app?backoff_max=inf", "positive number"),
        ("zk://h", "names no znode"),
        ("zk:///app", "names no ZooKeeper server"),
        ("zk://h/a/", "must not end with '/'"),
        ("zk://h/a//b", "empty segment"),
        ("zk://h/a/./b", "'.' or '..'"),
        ("zk://h/a%00b", "control or reserved character"),
        ("zk://h,:2181/app", "not a valid server address"),
        ("zk://user@h/app", "needs both a user and a password"),
        ("zk://:pw-only-secret@h/app", "needs both a user and a password"),
    ],
)
def test_bad_uris_are_refused_with_the_reason(uri: str, fragment: str) -> None:
    with pytest.raises(SourceURIError) as caught:
        ZooKeeperWatcher(uri)
    assert fragment in str(caught.value)
    assert "pw-only-secret" not in str(caught.value)
