"""URI parsing and credentials: every mistake is a SourceURIError before any connection."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flow.errors import SourceURIError
from flow.live.watcher import open_watcher
from flow_watcher_redis._settings import DEFAULT_TIMEOUT, RedisSettings
from flow_watcher_redis.watcher import RedisWatcher


def parse(uri: str, **env: str) -> RedisSettings:
    return RedisSettings.from_uri(uri, environ=env)


def test_defaults_for_a_minimal_uri() -> None:
    settings = parse("redis://cache.internal?key=app")
    assert (settings.host, settings.port, settings.db) == ("cache.internal", 6379, 0)
    assert settings.key == "app"
    assert settings.timeout == DEFAULT_TIMEOUT
    assert not settings.tls
    assert settings.username is None
    assert settings.password is None


def test_db_comes_from_the_path_and_names_the_channel() -> None:
    settings = parse("redis://127.0.0.1:7000/5?key=feature-flags")
    assert (settings.port, settings.db) == (7000, 5)
    assert settings.channel == b"__keyspace@5__:feature-flags"


def test_non_ascii_and_percent_encoded_keys() -> None:
    settings = parse("redis://h/0?key=cl%C3%A9%20%2B%26")
    assert settings.key == "clé +&"
    assert settings.key_bytes == "clé +&".encode()


@pytest.mark.parametrize(
    ("uri", "fragment"),
    [
        ("redis://h/0", "names no key"),
        ("redis://h/0?key=", "names no key"),
        ("redis://h/abc?key=k", "database number"),
        ("redis://h/0/app?key=k", "database number"),
        ("redis://h/-1?key=k", "database number"),
        ("redis://h/0?key=k&timeout=0", "positive number"),
        ("redis://h/0?key=k&timeout=nan", "positive number"),
        ("redis://h/0?key=k&timeout=inf", "positive number"),
        ("redis://h/0?key=k&db=2", "unknown option"),
        ("redis://h/0?key=k&ssl_ca_certs=/etc/ca.pem", "rediss://"),
        ("rediss://h/0?key=k&ssl_cert_reqs=maybe", "ssl_cert_reqs"),
        ("rediss://h/0?key=k&ssl_ca_certs=/no/such/ca.pem", "readable file"),
        ("nats://h/0?key=k", "not a Redis URI"),
    ],
)
def test_bad_uris_are_refused_with_the_fix(uri: str, fragment: str) -> None:
    with pytest.raises(SourceURIError, match=fragment):
        parse(uri)


def test_open_watcher_refuses_at_construction() -> None:
    with pytest.raises(SourceURIError, match="names no key"):
        open_watcher("redis://127.0.0.1:6379/0")


def test_credentials_from_the_uri_win_over_the_environment() -> None:
    settings = parse(
        "redis://alice:from-uri-pw@h/0?key=k", REDIS_USERNAME="bob", REDIS_PASSWORD="env-pw"
    )
    assert (settings.username, settings.password) == ("alice", "from-uri-pw")


def test_password_only_userinfo_uses_the_default_user() -> None:
    settings = parse("redis://:only-pw-123@h/0?key=k")
    assert (settings.username, settings.password) == (None, "only-pw-123")


def test_credentials_from_the_environment() -> None:
    settings = parse("redis://h/0?key=k", REDIS_USERNAME="bob", REDIS_PASSWORD="env-pw-123")
    assert (settings.username, settings.password) == ("bob", "env-pw-123")


def test_user_in_uri_and_password_in_environment() -> None:
    settings = parse("redis://carol@h/0?key=k", REDIS_PASSWORD="env-pw-123")
    assert (settings.username, settings.password) == ("carol", "env-pw-123")


def test_rediscli_auth_is_the_last_fallback() -> None:
    assert parse("redis://h/0?key=k", REDISCLI_AUTH="cli-pw").password == "cli-pw"
    both = parse("redis://h/0?key=k", REDISCLI_AUTH="cli-pw", REDIS_PASSWORD="main-pw")
    assert both.password == "main-pw"


def test_the_password_never_shows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REDIS_PASSWORD", raising=False)
    secret = "do-not-print-me-99"
    watcher = RedisWatcher(f"redis://alice:{secret}@h:1/0?key=k")
    for text in (repr(watcher), watcher.label, repr(watcher.settings), str(watcher.settings)):
        assert secret not in text
    assert "alice:***@h:1" in watcher.label


def test_tls_options(tmp_path: Path) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("not checked until connecting")
    settings = parse(f"rediss://h:6380/1?key=k&ssl_ca_certs={ca}&ssl_cert_reqs=optional")
    assert settings.tls
    assert dict(settings.tls_options) == {"ssl_ca_certs": str(ca), "ssl_cert_reqs": "optional"}


def test_plugin_registers_both_schemes() -> None:
    code = (
        "from flow.plugins import get_registry\n"
        "registry = get_registry()\n"
        "print(*(registry.resolve('watchers', s).__name__ for s in ('redis', 'rediss')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["RedisWatcher", "RedisWatcher"]


def test_importing_the_plugin_module_stays_light() -> None:
    code = "import sys, flow_watcher_redis.plugin; print('redis' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
