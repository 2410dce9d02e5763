"""What a ``zk://`` URI asks for: which servers, which znode, which credentials, which timings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = [
    "DEFAULT_BACKOFF_MAX",
    "DEFAULT_PORT",
    "DEFAULT_SESSION_TIMEOUT",
    "OPTIONS",
    "ZkAddress",
]

DEFAULT_PORT = 2181
#: Seconds: the session timeout asked of the server (it clamps it to its own min/max).
DEFAULT_SESSION_TIMEOUT = 10.0
#: Seconds: the longest pause between two reconnect attempts.
DEFAULT_BACKOFF_MAX = 5.0
OPTIONS = ("session_timeout", "backoff_max")

_EXAMPLE = "e.g. zk://127.0.0.1:2181/app/config"
_HOST = re.compile(r"^(?:\[(?P<ipv6>[0-9A-Fa-f:.]+)\]|(?P<name>[^:\[\]/]+))(?::(?P<port>\d*))?$")
# ZooKeeper refuses these characters in a path (PathUtils.validatePath).
_BAD_CHAR = re.compile("[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]")


@dataclass(frozen=True, slots=True)
class ZkAddress:
    """A checked ``zk://`` URI: a kazoo host string, the znode path, and the options."""

    hosts: str
    path: str
    username: str | None
    password: str | None = field(repr=False)
    session_timeout: float
    backoff_max: float
    display: str

    @property
    def auth_data(self) -> list[tuple[str, str]]:
        """kazoo's ``auth_data``: one ``digest`` credential when the URI has userinfo."""
        if self.username is None or self.password is None:
            return []
        return [("digest", f"{self.username}:{self.password}")]

    @classmethod
    def from_uri(cls, uri: SourceURI) -> ZkAddress:
        """Check ``uri`` (scheme, hosts, path, credentials, options) and build the address."""
        display = uri.redacted
        if uri.scheme != "zk":
            raise SourceURIError(f"{display} is not a zk: URI; give one like {_EXAMPLE}")
        uri.check_options(OPTIONS)
        username, password = _credentials(uri, display)
        return cls(
            hosts=_hosts(uri, display),
            path=_path(uri.path, display),
            username=username,
            password=password,
            session_timeout=uri.seconds("session_timeout", DEFAULT_SESSION_TIMEOUT),
            backoff_max=uri.seconds("backoff_max", DEFAULT_BACKOFF_MAX),
            display=display,
        )


def _hosts(uri: SourceURI, display: str) -> str:
    """``host[:port][,host[:port]…]`` from the URI's netloc, each with its port (2181 default)."""
    netloc = urlsplit(uri.raw.strip()).netloc.rpartition("@")[2]
    if not netloc:
        raise SourceURIError(f"{display} names no ZooKeeper server; give one like {_EXAMPLE}")
    hosts: list[str] = []
    for entry in netloc.split(","):
        match = _HOST.match(entry.strip())
        port_text = match.group("port") if match else None
        port = int(port_text) if port_text else DEFAULT_PORT
        if match is None or not 0 < port < 65536:
            raise SourceURIError(
                f"{display}: {entry.strip()!r} is not a valid server address; "
                f"give host[:port] entries separated by commas, {_EXAMPLE}"
            )
        host = match.group("name") or f"[{match.group('ipv6')}]"
        hosts.append(f"{host}:{port}")
    return ",".join(hosts)


def _path(path: str, display: str) -> str:
    if not path or path == "/":
        raise SourceURIError(f"{display} names no znode; put its path after the host, {_EXAMPLE}")
    parts = path.split("/")[1:]
    problem = None
    if path.endswith("/"):
        problem = "must not end with '/'"
    elif any(part == "" for part in parts):
        problem = "has an empty segment ('//')"
    elif any(part in (".", "..") for part in parts):
        problem = "has a '.' or '..' segment (ZooKeeper paths are absolute and literal)"
    elif _BAD_CHAR.search(path):
        problem = "has a control or reserved character ZooKeeper does not allow"
    if problem:
        raise SourceURIError(f"the znode path {path!r} in {display} {problem}; fix the path")
    return path


def _credentials(uri: SourceURI, display: str) -> tuple[str | None, str | None]:
    if uri.username is None and uri.password is None:
        return None, None
    if not uri.username or not uri.password:
        raise SourceURIError(
            f"{display}: ZooKeeper digest authentication needs both a user and a password "
            "(zk://USER:PASSWORD@host:2181/path; percent-encode special characters)"
        )
    return uri.username, uri.password
