"""``ConsulSettings``: a ``consul://`` URI, validated, with Consul's usual environment variables.

::

    consul://HOST:PORT/KEY?dc=DC&token=TOKEN&wait=60s&timeout=10&scheme=https&ca=FILE&tls_verify=1

The key is the URI's path without its leading slash (percent-encode what a
path cannot hold). Without a host, ``CONSUL_HTTP_ADDR`` (``host:port`` or
``https://host:port``) is used, else ``127.0.0.1:8500``. The ACL token comes
from ``?token=``, else ``CONSUL_HTTP_TOKEN``; the CA bundle from ``?ca=``,
else ``CONSUL_CACERT``. HTTPS is chosen with ``?scheme=https`` (Consul's own
word for it, as in ``CONSUL_HTTP_ADDR=https://…``) rather than a second URI
scheme.
"""

from __future__ import annotations

import os
import re
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["OPTIONS", "ConsulSettings", "parse_duration"]

#: Query options a consul: URI accepts (``codec`` is always accepted too).
OPTIONS = ("dc", "token", "wait", "timeout", "scheme", "ca", "tls_verify")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORTS = {"http": 8500, "https": 8501}
#: Default blocking wait. Shorter than Consul's 5 minutes so that a peer that
#: vanished without closing the connection is noticed within about a minute.
DEFAULT_WAIT = 60.0
MAX_WAIT = 600.0  # Consul caps a blocking query's wait at 10 minutes
DEFAULT_TIMEOUT = 10.0
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h)")
_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go duration (``"30s"``, ``"1m30s"``, ``"500ms"``, or ``"5"``); None if bad."""
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    parts = _DURATION.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _UNITS[u] for n, u in parts)


@dataclass(frozen=True, slots=True)
class ConsulSettings:
    """Everything one watcher needs to reach its key; ``str()`` never shows the token."""

    redacted: str
    base_url: str  # scheme://host:port
    key: str
    dc: str | None
    token: str | None = field(repr=False)
    token_source: str  # "?token=", "CONSUL_HTTP_TOKEN" or "" (none): named in auth errors
    wait: float
    timeout: float
    tls: ssl.SSLContext | None = field(repr=False)

    @classmethod
    def from_uri(cls, uri: str | SourceURI) -> ConsulSettings:
        """Validate ``uri``; raise :class:`~flow.SourceURIError` saying what to fix."""
        source = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        where = source.redacted
        if source.scheme != "consul":
            raise SourceURIError(f"{where}: the consul watcher handles consul:// URIs only")
        source.check_options(OPTIONS)
        if source.username is not None or source.password is not None:
            raise SourceURIError(
                f"{where}: credentials in the address are not used by Consul; "
                "give the ACL token as ?token=… or in CONSUL_HTTP_TOKEN"
            )
        scheme, host, port = _address(source, where)
        key = source.path[1:] if source.path.startswith("/") else source.path
        if not key:
            raise SourceURIError(
                f"{where}: no key; give it as the path, e.g. consul://127.0.0.1:8500/app/config"
            )
        token, token_source = _token(source, where)
        dc = source.option("dc")
        if dc is not None and not dc.strip():
            raise SourceURIError(f"{where}: ?dc= is empty; name a datacenter or leave it out")
        wait = _seconds(source, "wait", DEFAULT_WAIT, where, high=MAX_WAIT)
        timeout = _seconds(source, "timeout", DEFAULT_TIMEOUT, where, high=3600.0)
        tls = _tls(source, where) if scheme == "https" else None
        return cls(
            redacted=where,
            base_url=f"{scheme}://{_bracket(host)}:{port}",
            key=key,
            dc=dc,
            token=token,
            token_source=token_source,
            wait=wait,
            timeout=timeout,
            tls=tls,
        )

    @property
    def kv_url(self) -> str:
        """The key's KV endpoint, percent-encoded (``/`` kept: it separates Consul's folders)."""
        return f"{self.base_url}/v1/kv/{quote(self.key, safe='/')}"

    @property
    def wait_param(self) -> str:
        """``wait`` as Consul expects it (milliseconds, so fractions survive)."""
        return f"{round(self.wait * 1000)}ms"

    def __str__(self) -> str:
        return self.redacted


def _address(source: SourceURI, where: str) -> tuple[str, str, int]:
    scheme = source.option("scheme")
    host, port = source.host, source.port
    if host is None:
        env_scheme, host, port = _env_address(where)
        scheme = scheme or env_scheme
    scheme = (scheme or "http").lower()
    if scheme not in DEFAULT_PORTS:
        raise SourceURIError(f"{where}: ?scheme= must be http or https, not {scheme!r}")
    return scheme, host, port or DEFAULT_PORTS[scheme]


def _env_address(where: str) -> tuple[str | None, str, int | None]:
    """``CONSUL_HTTP_ADDR`` (``host:port`` or ``http[s]://host:port``), else the local agent."""
    addr = os.environ.get("CONSUL_HTTP_ADDR", "").strip()
    if not addr:
        return None, DEFAULT_HOST, None
    parts = urlsplit(addr if "://" in addr else f"http://{addr}")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or port == -1:
        raise SourceURIError(
            f"{where}: CONSUL_HTTP_ADDR={addr!r} is not host:port or http(s)://host:port "
            "(unix sockets are not supported); fix it or put the address in the URI"
        )
    return (parts.scheme if "://" in addr else None), parts.hostname, port


def _token(source: SourceURI, where: str) -> tuple[str | None, str]:
    token = source.option("token")
    if token is not None:
        if not token:
            raise SourceURIError(f"{where}: ?token= is empty; give the ACL token or leave it out")
        return token, "?token="
    env = os.environ.get("CONSUL_HTTP_TOKEN", "").strip()
    return (env, "CONSUL_HTTP_TOKEN") if env else (None, "")


def _seconds(source: SourceURI, name: str, default: float, where: str, *, high: float) -> float:
    text = source.option(name)
    if text is None:
        return default
    seconds = parse_duration(text.strip())
    if seconds is None or not 0 < seconds <= high:
        raise SourceURIError(
            f"{where}: ?{name}={text!r} is not a duration between 0 and {high:g}s; "
            f"write e.g. {name}=30s, {name}=500ms or {name}=2m"
        )
    return seconds


def _tls(source: SourceURI, where: str) -> ssl.SSLContext:
    ca = source.option("ca") or os.environ.get("CONSUL_CACERT") or None
    verify = (source.option("tls_verify") or "1").strip().lower()
    if verify not in _TRUE | _FALSE:
        raise SourceURIError(f"{where}: ?tls_verify= must be 1 or 0, not {verify!r}")
    if ca is not None and not Path(ca).is_file():
        raise SourceURIError(
            f"{where}: the CA bundle {ca!r} (from ?ca= or CONSUL_CACERT) is not a file"
        )
    try:
        context = ssl.create_default_context(cafile=ca)
    except ssl.SSLError as exc:
        raise SourceURIError(f"{where}: cannot load the CA bundle {ca!r}: {exc}") from None
    if verify in _FALSE:  # for test agents with self-signed certificates only
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _bracket(host: str) -> str:
    return f"[{host}]" if ":" in host else host
