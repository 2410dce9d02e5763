"""How a nats:// URI is read: server, bucket, key, credentials, options (no server needed)."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError
from flow.live.uri import SourceURI
from flow_watcher_nats._settings import NatsSettings
from flow_watcher_nats.watcher import NatsWatcher


def settings(uri: str, **environ: str) -> NatsSettings:
    return NatsSettings.from_uri(SourceURI.parse(uri), environ)


def test_host_port_bucket_and_key() -> None:
    s = settings("nats://10.1.2.3:4333/config/app.json")
    assert (s.server, s.bucket, s.key) == ("nats://10.1.2.3:4333", "config", "app.json")
    assert (s.stream, s.subject) == ("KV_config", "$KV.config.app.json")
    assert s.timeout == 5.0


def test_defaults_to_localhost_4222() -> None:
    assert settings("nats:///config/app").server == "nats://localhost:4222"


def test_ipv6_literal_keeps_its_brackets() -> None:
    assert settings("nats://[::1]:4222/b/k").server == "nats://[::1]:4222"


def test_the_key_is_the_rest_of_the_path_and_percent_decoded() -> None:
    assert settings("nats://h/b/team/app.settings").key == "team/app.settings"
    assert settings("nats://h/b/cl%C3%A9-%E9%85%8D%E7%BD%AE").key == "clé-配置"


def test_timeout_option() -> None:
    assert settings("nats://h/b/k?timeout=0.5").timeout == 0.5


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("nats://h/b", "does not name a bucket and a key"),
        ("nats://h/", "does not name a bucket and a key"),
        ("nats://h/b/", "does not name a bucket and a key"),
        ("nats://h/my.bucket/k", "invalid bucket name"),
        ("nats://h/b/a.*", "invalid key"),
        ("nats://h/b/a.>", "invalid key"),
        ("nats://h/b/.hidden", "invalid key"),
        ("nats://h/b/a..b", "invalid key"),
        ("nats://h/b/with%20space", "invalid key"),
        ("nats://h/b/k?timeout=0", "positive number of seconds"),
        ("nats://h/b/k?timeout=nan", "positive number of seconds"),
        ("nats://h/b/k?bucket=b", "unknown option"),
    ],
)
def test_bad_uris_are_refused_with_what_to_write(uri: str, expected: str) -> None:
    with pytest.raises(SourceURIError, match=expected) as caught:
        settings(uri)
    assert "nats://h/" in str(caught.value)


def test_user_and_password_from_the_uri() -> None:
    s = settings("nats://alice:s3cret-pw@h/b/k")
    assert (s.user, s.password, s.token) == ("alice", "s3cret-pw", None)


def test_a_lone_userinfo_is_a_token() -> None:
    s = settings("nats://tok-123456@h/b/k")
    assert (s.user, s.password, s.token) == (None, None, "tok-123456")


def test_environment_variables_when_the_uri_has_no_userinfo() -> None:
    s = settings("nats://h/b/k", NATS_TOKEN="env-token")
    assert s.token == "env-token"
    s = settings("nats://h/b/k", NATS_USER="bob", NATS_PASSWORD="env-pw")
    assert (s.user, s.password, s.token) == ("bob", "env-pw", None)


def test_the_uri_wins_over_the_environment() -> None:
    s = settings("nats://alice:uri-pw@h/b/k", NATS_TOKEN="env-token", NATS_USER="bob")
    assert (s.user, s.password, s.token) == ("alice", "uri-pw", None)


def test_credentials_never_show() -> None:
    watcher = NatsWatcher("nats://alice:s3cret-pw@h/b/k")
    token_watcher = NatsWatcher("nats://tok-123456@h/b/k")
    for text in (repr(watcher), repr(watcher.settings), watcher.settings.display):
        assert "s3cret-pw" not in text
    for text in (repr(token_watcher), repr(token_watcher.settings)):
        assert "tok-123456" not in text


def test_another_scheme_is_refused() -> None:
    with pytest.raises(SourceURIError, match="not a nats:// URI"):
        NatsWatcher("redis://h/0?key=k")
