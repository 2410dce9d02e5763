"""Where a ``nats://`` URI points: server, bucket, key, credentials and options."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["DEFAULT_PORT", "ENV_PASSWORD", "ENV_TOKEN", "ENV_USER", "OPTIONS", "NatsSettings"]

DEFAULT_HOST = "localhost"
DEFAULT_PORT = 4222
DEFAULT_TIMEOUT = 5.0
#: The environment variables the NATS CLI reads; used when the URI carries no userinfo.
ENV_USER, ENV_PASSWORD, ENV_TOKEN = "NATS_USER", "NATS_PASSWORD", "NATS_TOKEN"
#: Query options this watcher accepts (``codec`` is always accepted too).
OPTIONS = ("timeout",)
_EXAMPLE = "nats://127.0.0.1:4222/<bucket>/<key>, e.g. nats://127.0.0.1:4222/config/app.json"
# What JetStream accepts as a bucket name (the NATS KV naming rules).
_BUCKET = re.compile(r"[A-Za-z0-9_-]+")
# A key becomes the last tokens of a subject: no whitespace, no wildcards, no empty token.
_KEY_FORBIDDEN = re.compile(r"[\s*>\x00-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class NatsSettings:
    """Everything one watcher needs to connect and subscribe; never shows credentials."""

    server: str
    bucket: str
    key: str
    timeout: float
    display: str
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    @property
    def stream(self) -> str:
        """The JetStream stream that stores the bucket (the KV convention ``KV_<bucket>``)."""
        return f"KV_{self.bucket}"

    @property
    def subject(self) -> str:
        """The subject the key's values are stored under (``$KV.<bucket>.<key>``)."""
        return f"$KV.{self.bucket}.{self.key}"

    @classmethod
    def from_uri(cls, uri: SourceURI, environ: Mapping[str, str] | None = None) -> NatsSettings:
        """Validate ``uri`` and read credentials from it or from ``NATS_*`` variables."""
        where = uri.redacted
        uri.check_options(OPTIONS)
        bucket, key = _bucket_and_key(uri.path, where)
        user, password, token = _credentials(uri, os.environ if environ is None else environ)
        host = uri.host or DEFAULT_HOST
        if ":" in host:  # an IPv6 literal lost its brackets in parsing
            host = f"[{host}]"
        return cls(
            server=f"nats://{host}:{uri.port or DEFAULT_PORT}",
            bucket=bucket,
            key=key,
            timeout=uri.seconds("timeout", DEFAULT_TIMEOUT),
            display=where,
            user=user,
            password=password,
            token=token,
        )


def _bucket_and_key(path: str, where: str) -> tuple[str, str]:
    bucket, _, key = path.lstrip("/").partition("/")
    if not bucket or not key:
        raise SourceURIError(f"{where} does not name a bucket and a key; write {_EXAMPLE}")
    if not _BUCKET.fullmatch(bucket):
        raise SourceURIError(
            f"invalid bucket name {bucket!r} in {where}: "
            "a NATS KV bucket name uses only letters, digits, '-' and '_'"
        )
    if _KEY_FORBIDDEN.search(key) or key.startswith(".") or key.endswith(".") or ".." in key:
        raise SourceURIError(
            f"invalid key {key!r} in {where}: a NATS KV key has no spaces or wildcards "
            "('*', '>') and does not start or end with '.' or contain '..'"
        )
    return bucket, key


def _credentials(
    uri: SourceURI, environ: Mapping[str, str]
) -> tuple[str | None, str | None, str | None]:
    """``(user, password, token)``: userinfo wins; a lone userinfo is a token (NATS style)."""
    if uri.username is not None and uri.password is not None:
        return uri.username, uri.password, None
    if uri.username is not None:
        return None, None, uri.username
    if environ.get(ENV_TOKEN):
        return None, None, environ[ENV_TOKEN]
    if environ.get(ENV_USER):
        return environ[ENV_USER], environ.get(ENV_PASSWORD, ""), None
    return None, None, None
