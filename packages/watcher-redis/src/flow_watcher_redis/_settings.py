"""``RedisSettings``: what a ``redis://`` or ``rediss://`` URI asks for, validated up front.

URI format::

    redis[s]://[[username][:password]@]host[:port][/db]?key=NAME[&option=value...]

Credentials come from the URI's userinfo, else from ``REDIS_USERNAME`` and
``REDIS_PASSWORD`` (``REDISCLI_AUTH``, redis-cli's own variable, is the last
fallback for the password). Every mistake raises :class:`SourceURIError`
naming the redacted URI and the fix, before any connection is made.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["DEFAULT_PORT", "DEFAULT_TIMEOUT", "OPTIONS", "TLS_OPTIONS", "RedisSettings"]

DEFAULT_PORT = 6379
DEFAULT_TIMEOUT = 5.0
#: TLS options, named as redis-py names them in its URLs, for familiarity (rediss:// only).
TLS_OPTIONS = ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile", "ssl_cert_reqs")
#: Every query option the watcher accepts (``codec`` is always accepted too).
OPTIONS = ("key", "timeout", *TLS_OPTIONS)
_CERT_REQS = ("none", "optional", "required")
_EXAMPLE = "redis://127.0.0.1:6379/0?key=app"


@dataclass(frozen=True, slots=True)
class RedisSettings:
    """A validated Redis source: where to connect, as whom, and which key of which db."""

    redacted: str
    host: str
    port: int
    db: int
    key: str
    tls: bool
    timeout: float
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    tls_options: Mapping[str, str] = field(default_factory=dict)

    @property
    def key_bytes(self) -> bytes:
        """The key as Redis stores it (UTF-8)."""
        return self.key.encode("utf-8")

    @property
    def channel(self) -> bytes:
        """The keyspace-notification channel of the key in its own db."""
        return b"__keyspace@%d__:" % self.db + self.key_bytes

    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context of a ``rediss://`` source (None for plain ``redis://``)."""
        if not self.tls:
            return None
        options = self.tls_options
        context = ssl.create_default_context(cafile=options.get("ssl_ca_certs"))
        reqs = options.get("ssl_cert_reqs", "required")
        context.check_hostname = reqs == "required"
        context.verify_mode = {"none": ssl.CERT_NONE, "optional": ssl.CERT_OPTIONAL}.get(
            reqs, ssl.CERT_REQUIRED
        )
        certfile = options.get("ssl_certfile")
        if certfile is not None:
            context.load_cert_chain(certfile, options.get("ssl_keyfile"))
        return context

    @classmethod
    def from_uri(
        cls, uri: str | SourceURI, environ: Mapping[str, str] | None = None
    ) -> RedisSettings:
        """Parse and check ``uri``; credentials missing from it are taken from ``environ``."""
        source = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        env = os.environ if environ is None else environ
        if source.scheme not in ("redis", "rediss"):
            raise SourceURIError(
                f"{source.redacted} is not a Redis URI; write it as {_EXAMPLE} "
                "(or rediss:// for TLS)"
            )
        source.check_options(OPTIONS)
        tls = source.scheme == "rediss"
        return cls(
            redacted=source.redacted,
            host=source.host or "localhost",
            port=source.port or DEFAULT_PORT,
            db=_db(source),
            key=_key(source),
            tls=tls,
            timeout=source.seconds("timeout", DEFAULT_TIMEOUT),
            username=source.username or env.get("REDIS_USERNAME") or None,
            password=_password(source, env),
            tls_options=_tls_options(source, tls),
        )


def _db(source: SourceURI) -> int:
    text = source.path.strip("/")
    if not text:
        return 0
    if not text.isdigit() or not text.isascii():
        raise SourceURIError(
            f"the path of {source.redacted} must be a database number like /0, not /{text}; "
            f"give the key as ?key=NAME (e.g. {_EXAMPLE})"
        )
    return int(text)


def _key(source: SourceURI) -> str:
    key = source.option("key")
    if not key:
        raise SourceURIError(
            f"{source.redacted} names no key; add ?key=NAME (e.g. {_EXAMPLE}); "
            "percent-encode '+', '&' and '%' in the name"
        )
    return key


def _password(source: SourceURI, env: Mapping[str, str]) -> str | None:
    if source.password:
        return source.password
    return env.get("REDIS_PASSWORD") or env.get("REDISCLI_AUTH") or None


def _tls_options(source: SourceURI, tls: bool) -> dict[str, str]:
    given = {name: source.options[name] for name in TLS_OPTIONS if name in source.options}
    if given and not tls:
        raise SourceURIError(
            f"{', '.join(sorted(given))} in {source.redacted} only apply to TLS; "
            "use the rediss:// scheme"
        )
    reqs = given.get("ssl_cert_reqs")
    if reqs is not None and reqs not in _CERT_REQS:
        raise SourceURIError(
            f"ssl_cert_reqs={reqs!r} in {source.redacted} is not one of {', '.join(_CERT_REQS)}"
        )
    for name in ("ssl_ca_certs", "ssl_certfile", "ssl_keyfile"):
        path = given.get(name)
        if path is not None and not os.path.isfile(path):
            raise SourceURIError(
                f"{name}={path!r} in {source.redacted} is not a readable file; "
                "give the path of a PEM file"
            )
    return given
