"""consul: URIs: defaults, Consul's environment variables, and clear errors for bad input."""

from __future__ import annotations

import pytest
from flow.errors import SourceURIError
from flow_watcher_consul._settings import ConsulSettings, parse_duration


def test_defaults() -> None:
    settings = ConsulSettings.from_uri("consul://10.0.0.5/app/config")
    assert settings.base_url == "http://10.0.0.5:8500"
    assert settings.key == "app/config"
    assert (settings.dc, settings.token, settings.tls) == (None, None, None)
    assert settings.wait == 60.0
    assert settings.wait_param == "60000ms"


def test_non_ascii_and_reserved_characters_in_the_key_are_encoded() -> None:
    settings = ConsulSettings.from_uri("consul://h:1/app/cl%C3%A9%20%3F%23")
    assert settings.key == "app/clé ?#"
    assert settings.kv_url == "http://h:1/v1/kv/app/cl%C3%A9%20%3F%23"


def test_options() -> None:
    settings = ConsulSettings.from_uri(
        "consul://h:8501/k?dc=eu-west&token=t0k3n-value&wait=1m30s&timeout=500ms&scheme=https"
    )
    assert settings.base_url == "https://h:8501"
    assert (settings.dc, settings.token, settings.token_source) == (
        "eu-west",
        "t0k3n-value",
        "?token=",
    )
    assert (settings.wait, settings.timeout) == (90.0, 0.5)
    assert settings.tls is not None
    assert "t0k3n-value" not in f"{settings} {settings!r}"


def test_https_defaults_to_port_8501() -> None:
    assert ConsulSettings.from_uri("consul://h/k?scheme=https").base_url == "https://h:8501"


def test_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "https://consul.internal:9500")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "env-token-value")
    settings = ConsulSettings.from_uri("consul:///app/config")
    assert settings.base_url == "https://consul.internal:9500"
    assert (settings.token, settings.token_source) == ("env-token-value", "CONSUL_HTTP_TOKEN")
    # An address in the URI wins over CONSUL_HTTP_ADDR.
    assert ConsulSettings.from_uri("consul://h:1/k").base_url == "http://h:1"


def test_no_host_and_no_environment_means_the_local_agent() -> None:
    assert ConsulSettings.from_uri("consul:///k").base_url == "http://127.0.0.1:8500"


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("5", 5.0),
        ("30s", 30.0),
        ("1m30s", 90.0),
        ("250ms", 0.25),
        ("1h", 3600.0),
        ("", None),
        ("5x", None),
        ("s", None),
        ("-1s", None),
        ("1m junk", None),
    ],
)
def test_parse_duration(text: str, seconds: float | None) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("consul://h:1/", "no key"),
        ("consul://h:1/k?colour=red", "unknown option"),
        ("consul://h:1/k?wait=0s", "?wait="),
        ("consul://h:1/k?wait=11m", "?wait="),
        ("consul://h:1/k?timeout=soon", "?timeout="),
        ("consul://h:1/k?scheme=ftp", "?scheme="),
        ("consul://h:1/k?dc=", "?dc="),
        ("consul://h:1/k?token=", "?token="),
        ("consul://h:1/k?scheme=https&tls_verify=maybe", "tls_verify"),
        ("consul://h:1/k?scheme=https&ca=/no/such/ca.pem", "CA bundle"),
        ("consul://root:hunter2-secret@h:1/k", "CONSUL_HTTP_TOKEN"),
    ],
)
def test_bad_uris_say_what_to_fix(uri: str, message: str) -> None:
    with pytest.raises(SourceURIError) as caught:
        ConsulSettings.from_uri(uri)
    assert message in str(caught.value)
    assert "hunter2-secret" not in str(caught.value)


def test_a_bad_consul_http_addr_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONSUL_HTTP_ADDR", "unix:///var/run/consul.sock")
    with pytest.raises(SourceURIError, match="CONSUL_HTTP_ADDR"):
        ConsulSettings.from_uri("consul:///k")
