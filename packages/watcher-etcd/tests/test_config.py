"""etcd:// URIs: keys, options and credentials, checked before any connection."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError
from flow.live.uri import SourceURI
from flow.plugins import get_registry
from flow_watcher_etcd._config import DEFAULT_TIMEOUT, EtcdConfig
from flow_watcher_etcd.watcher import EtcdWatcher


def config(uri: str, **environ: str) -> EtcdConfig:
    return EtcdConfig.from_uri(SourceURI.parse(uri), environ)


def test_the_path_is_the_key_and_defaults_fill_the_rest() -> None:
    parsed = config("etcd:///app/config")
    assert (parsed.host, parsed.port, parsed.key) == ("127.0.0.1", 2379, b"/app/config")
    assert parsed.timeout == DEFAULT_TIMEOUT
    assert parsed.username is None
    assert parsed.password is None


def test_host_port_timeout_and_a_percent_encoded_non_ascii_key() -> None:
    parsed = config("etcd://db.internal:12379/caf%C3%A9/%E9%85%8D%E7%BD%AE?timeout=0.5")
    assert (parsed.host, parsed.port, parsed.timeout) == ("db.internal", 12379, 0.5)
    assert parsed.key == "/café/配置".encode()


def test_key_option_addresses_a_key_without_a_leading_slash() -> None:
    assert config("etcd://127.0.0.1:2379?key=app/config").key == b"app/config"
    assert config("etcd://127.0.0.1:2379/?key=app").key == b"app"


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("etcd://h/k?bogus=1", "unknown option"),
        ("etcd://h/k?timeout=0", "positive number of seconds"),
        ("etcd://h/k?timeout=nan", "positive number of seconds"),
        ("etcd://h/k?timeout=inf", "positive number of seconds"),
        ("etcd://h", "no key"),
        ("etcd://h/", "no key"),
        ("etcd://h/k?key=x", "names the key twice"),
        ("etcd://h?key=", r"empty \?key="),
        ("redis://h/k", "not an etcd:// URI"),
    ],
)
def test_bad_uris_are_refused_with_the_reason(uri: str, expected: str) -> None:
    with pytest.raises(SourceURIError, match=expected) as caught:
        config(uri)
    assert "h" in str(caught.value)


def test_credentials_from_the_uri_win_over_the_environment() -> None:
    parsed = config("etcd://ann:s%40cret@h/k", ETCD_USERNAME="env", ETCD_PASSWORD="env-pw")
    assert (parsed.username, parsed.password) == ("ann", "s@cret")
    assert "s@cret" not in repr(parsed)
    assert "s%40cret" not in parsed.display


def test_credentials_from_etcd_username_and_password() -> None:
    parsed = config("etcd://h/k", ETCD_USERNAME="ann", ETCD_PASSWORD="pw")
    assert (parsed.username, parsed.password) == ("ann", "pw")


def test_credentials_from_etcdctl_variables() -> None:
    assert _users(config("etcd://h/k", ETCDCTL_USER="ann:pw")) == ("ann", "pw")
    assert _users(config("etcd://h/k", ETCDCTL_USER="ann", ETCDCTL_PASSWORD="p:w")) == (
        "ann",
        "p:w",
    )


def _users(parsed: EtcdConfig) -> tuple[str | None, str | None]:
    return parsed.username, parsed.password


@pytest.mark.parametrize(
    ("uri", "environ", "expected"),
    [
        ("etcd://ann@h/k", {}, "no password"),
        ("etcd://:the-password@h/k", {}, "no user name"),
        ("etcd://h/k", {"ETCD_USERNAME": "ann"}, "no password"),
        ("etcd://h/k", {"ETCD_PASSWORD": "the-password"}, "no user name"),
    ],
)
def test_half_credentials_are_refused_without_showing_them(
    uri: str, environ: dict[str, str], expected: str
) -> None:
    with pytest.raises(SourceURIError, match=expected) as caught:
        config(uri, **environ)
    assert "the-password" not in str(caught.value)


def test_the_plugin_registers_the_etcd_scheme_lazily() -> None:
    factory = get_registry().resolve("watchers", "etcd")
    assert callable(factory)
    watcher = factory(SourceURI.parse("etcd://u:pw-not-shown@h:1/app"))
    assert isinstance(watcher, EtcdWatcher)
    assert watcher.key == b"/app"
    assert "pw-not-shown" not in repr(watcher)
