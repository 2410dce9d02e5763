"""Source URIs: parsing, options, and redaction of secrets."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError, UnknownProviderError
from flow.live.uri import SourceURI, redact
from flow.live.watcher import open_watcher


def test_parse_network_uri() -> None:
    uri = SourceURI.parse("redis://alice:s3cret@cache.local:6380/2?key=app&codec=yaml")
    assert (uri.scheme, uri.host, uri.port, uri.path) == ("redis", "cache.local", 6380, "/2")
    assert (uri.username, uri.password) == ("alice", "s3cret")
    assert uri.options == {"key": "app", "codec": "yaml"}
    assert uri.option("missing", "d") == "d"


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("file:config.yaml", "config.yaml"),
        ("file:///etc/app/config.yaml", "/etc/app/config.yaml"),
        ("config.yaml", "config.yaml"),
        ("/etc/app/config.yaml", "/etc/app/config.yaml"),
        ("file:conf%C3%A9.yaml", "confé.yaml"),
    ],
)
def test_paths_and_bare_paths_mean_file(text: str, path: str) -> None:
    uri = SourceURI.parse(text)
    assert uri.scheme == "file"
    assert uri.path == path


@pytest.mark.parametrize("text", ["", "   ", "redis://host:notaport/0", "nats://h/b?key=a&key=b"])
def test_malformed_uris_raise_source_uri_error(text: str) -> None:
    with pytest.raises(SourceURIError):
        SourceURI.parse(text)


def test_password_never_appears_in_str_repr_or_errors() -> None:
    uri = SourceURI.parse("redis://alice:s3cret@h:6379/0?key=app&token=t0k3n")
    for text in (str(uri), repr(uri), uri.redacted):
        assert "s3cret" not in text
        assert "t0k3n" not in text
        assert "alice" in text
    with pytest.raises(SourceURIError) as info:
        SourceURI.parse("redis://alice:s3cret@h:bad/0")
    assert "s3cret" not in str(info.value)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("redis://:pw@h/0", "redis://:***@h/0"),
        ("nats://TOKEN123@h:4222/b/k", "nats://***@h:4222/b/k"),
        ("consul://h/k?token=abc&dc=x", "consul://h/k?token=***&dc=x"),
        ("etcd://h/k?api_key=1&password=2", "etcd://h/k?api_key=***&password=***"),
        ("file:app.yaml", "file:app.yaml"),
    ],
)
def test_redact(raw: str, expected: str) -> None:
    assert redact(raw) == expected


def test_check_options_names_the_unknown_ones_and_the_known() -> None:
    uri = SourceURI.parse("redis://h/0?key=a&colour=red&codec=json")
    uri.check_options(["key", "colour"])
    with pytest.raises(SourceURIError, match="colour") as info:
        uri.check_options(["key"])
    assert "accepts codec, key" in str(info.value)


def test_seconds_option_parses_or_defaults() -> None:
    uri = SourceURI.parse("redis://h/0?key=a&timeout=2.5")
    assert uri.seconds("timeout", 5.0) == 2.5
    assert uri.seconds("interval", 0.25) == 0.25


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "soon", ""])
def test_seconds_option_refuses_what_is_not_a_positive_number(text: str) -> None:
    uri = SourceURI.parse(f"redis://:pw@h/0?key=a&timeout={text}")
    with pytest.raises(SourceURIError, match="positive number of seconds") as info:
        uri.seconds("timeout", 5.0)
    assert f"timeout={text!r}" in str(info.value)
    assert "pw" not in str(info.value)


def test_unknown_scheme_says_what_to_install() -> None:
    with pytest.raises(UnknownProviderError, match="no watcher named 'gopher'"):
        open_watcher("gopher://h/x")
