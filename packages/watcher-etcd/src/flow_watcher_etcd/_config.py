"""``EtcdConfig``: what an ``etcd://`` URI asks for, validated before any connection is made."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "DEFAULT_TIMEOUT", "OPTIONS", "EtcdConfig"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2379
#: Seconds for connecting, authenticating, one read and the creation of a watch.
DEFAULT_TIMEOUT = 5.0
#: Query options an ``etcd://`` URI accepts (``codec`` is always accepted).
OPTIONS = ("key", "timeout")
# Credentials from the environment, in order: the names this package documents,
# then the ones etcdctl reads (ETCDCTL_USER may carry "user:password").
_ENV_USER = ("ETCD_USERNAME", "ETCDCTL_USER")
_ENV_PASSWORD = ("ETCD_PASSWORD", "ETCDCTL_PASSWORD")


@dataclass(frozen=True, slots=True)
class EtcdConfig:
    """Where to connect, which key to watch, and with which credentials."""

    host: str
    port: int
    key: bytes
    #: The URI with its password masked: the only form used in messages.
    display: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = DEFAULT_TIMEOUT

    @classmethod
    def from_uri(cls, uri: SourceURI, environ: Mapping[str, str] | None = None) -> EtcdConfig:
        """Validate ``uri`` (``etcd://[user:password@]host[:port]/key?options``).

        Raises :class:`~flow.errors.SourceURIError` naming the redacted URI and the fix.
        """
        if uri.scheme != "etcd":
            raise SourceURIError(f"{uri.redacted} is not an etcd:// URI")
        uri.check_options(OPTIONS)
        username, password = _credentials(uri, os.environ if environ is None else environ)
        return cls(
            host=uri.host or DEFAULT_HOST,
            port=uri.port or DEFAULT_PORT,
            key=_key(uri),
            display=uri.redacted,
            username=username,
            password=password,
            timeout=uri.seconds("timeout", DEFAULT_TIMEOUT),
        )

    @property
    def key_text(self) -> str:
        """The key as text, for messages."""
        return self.key.decode("utf-8", "backslashreplace")


def _key(uri: SourceURI) -> bytes:
    explicit = uri.option("key")
    if explicit is not None:
        if uri.path not in ("", "/"):
            raise SourceURIError(
                f"{uri.redacted} names the key twice (path {uri.path!r} and ?key=); keep one"
            )
        if not explicit:
            raise SourceURIError(f"empty ?key= in {uri.redacted}; give the etcd key to watch")
        return explicit.encode()
    if uri.path in ("", "/"):
        raise SourceURIError(
            f"no key in {uri.redacted}; give it as the path (etcd://host:2379/app/config "
            "watches the key '/app/config') or as ?key=app/config for a key without a leading /"
        )
    return uri.path.encode()


def _credentials(uri: SourceURI, environ: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The user and password from the URI, else from the environment; both or neither."""
    if uri.username is not None or uri.password is not None:
        username, password = uri.username, uri.password
        where = "the URI"
    else:
        username = _first(environ, _ENV_USER)
        password = _first(environ, _ENV_PASSWORD)
        if username is not None and password is None and ":" in username:
            username, _, password = username.partition(":")  # ETCDCTL_USER=user:password
        where = "the environment (ETCD_USERNAME/ETCD_PASSWORD)"
    if username and password is None:
        raise SourceURIError(
            # The user is not named: a lone userinfo may be a token, and is masked as one.
            f"a user name but no password for {uri.redacted} in {where}; etcd "
            "authenticates with both (etcd://user:password@host/key or ETCD_PASSWORD)"
        )
    if password is not None and not username:
        raise SourceURIError(
            f"a password but no user name for {uri.redacted} in {where}; "
            "give both (etcd://user:password@host/key or ETCD_USERNAME and ETCD_PASSWORD)"
        )
    return username or None, password


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None
