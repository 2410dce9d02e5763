"""One watched source inside a capacitor: its watcher, codec, and what it last delivered."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .change import Change
from .codecs import Codec, JsonCodec, codec_for_path, get_codec
from .health import ErrorRecord
from .uri import SourceURI
from .watcher import Watcher, open_watcher

__all__ = ["Source", "open_source"]

_NOTHING: Any = object()


@dataclass(eq=False, slots=True)
class Source:
    """A watcher plus the bookkeeping the capacitor needs per source."""

    label: str
    watcher: Watcher
    codec: Codec
    pending: Change | None = None
    has_pending: bool = False
    seen_first: bool = False
    ended: bool = False
    applied_bytes: Any = _NOTHING
    value: Any = _NOTHING
    error: ErrorRecord | None = None
    staged: Any = field(default=_NOTHING, repr=False)

    @property
    def has_value(self) -> bool:
        """Whether a decoded value from this source is part of the committed state."""
        return self.value is not _NOTHING

    @property
    def is_json(self) -> bool:
        return isinstance(self.codec, JsonCodec)

    def offer(self, change: Change) -> bool:
        """Keep ``change`` as the latest pending one; True when it replaced an unprocessed one."""
        replaced = self.has_pending
        self.pending, self.has_pending, self.seen_first = change, True, True
        return replaced

    def take(self) -> Change:
        change = self.pending
        assert change is not None
        self.pending, self.has_pending = None, False
        return change

    def is_identical(self, change: Change) -> bool:
        """True when ``change`` carries exactly the bytes last applied from this source."""
        return self.applied_bytes is not _NOTHING and self.applied_bytes == change.value

    def commit(self, change: Change) -> None:
        self.applied_bytes = change.value
        self.value = _NOTHING if change.value is None else self.staged
        self.staged = _NOTHING
        self.error = None


def open_source(source: str | SourceURI | Watcher, codec: str | Codec | None) -> Source:
    """Build a :class:`Source` from a URI (resolved through the plugin registry) or a watcher."""
    if isinstance(source, str | SourceURI):
        uri = source if isinstance(source, SourceURI) else SourceURI.parse(source)
        watcher = open_watcher(uri)
        label = uri.redacted
        chosen = codec or uri.option("codec") or codec_for_path(uri.path)
    else:
        watcher, uri = source, None
        label = getattr(source, "label", None) or type(source).__name__
        chosen = codec
    chosen = chosen or getattr(watcher, "default_codec", None) or "json"
    resolved = get_codec(chosen) if isinstance(chosen, str) else chosen
    return Source(label=str(label), watcher=watcher, codec=resolved)
