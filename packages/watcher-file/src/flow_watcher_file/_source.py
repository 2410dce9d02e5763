"""What a ``file:`` URI asks for: which file, and how to watch it."""

from __future__ import annotations

import os
from dataclasses import dataclass

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["DEFAULT_INTERVAL", "FileSource"]

#: Seconds between directory scans with ``?poll=1`` when no ``interval`` is given.
DEFAULT_INTERVAL = 1.0

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
_EXAMPLES = "give e.g. file:config.yaml, file:///etc/app/config.yaml or a bare path"


@dataclass(frozen=True, slots=True)
class FileSource:
    """The watched file as an absolute path (symlinks kept), and the observer to use."""

    path: str
    poll: bool
    interval: float
    display: str

    @classmethod
    def from_uri(cls, uri: SourceURI) -> FileSource:
        """Check ``uri`` and turn it into a source; relative paths resolve against the cwd now."""
        display = uri.redacted
        if uri.scheme != "file":
            raise SourceURIError(f"{display} is not a file: URI; {_EXAMPLES}")
        uri.check_options(["poll", "interval"])
        if uri.host not in (None, "", "localhost"):
            raise SourceURIError(
                f"{display} names the host {uri.host!r}; file: URIs can only name local files "
                "(mount the share and use ?poll=1 for network filesystems)"
            )
        raw = os.path.expanduser(uri.path)
        if not raw or raw.endswith(("/", os.sep)):
            raise SourceURIError(f"{display} does not name a file; {_EXAMPLES}")
        poll = _flag(uri, "poll")
        interval = _interval(uri, poll)
        return cls(os.path.abspath(raw), poll, interval, display)


def _flag(uri: SourceURI, name: str) -> bool:
    value = (uri.option(name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SourceURIError(f"option {name}={value!r} in {uri.redacted} must be 1 or 0 (true/false)")


def _interval(uri: SourceURI, poll: bool) -> float:
    text = uri.option("interval")
    if text is None:
        return DEFAULT_INTERVAL
    if not poll:
        raise SourceURIError(
            f"option interval= in {uri.redacted} only applies with poll=1; add poll=1 or drop it"
        )
    return uri.seconds("interval", DEFAULT_INTERVAL)
