"""Source URIs: parsing, options, and credential redaction."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qsl, unquote, urlsplit

from ..errors import SourceURIError
from ..redaction import SECRET_OPTION, redact

__all__ = ["SECRET_OPTION", "SourceURI", "redact"]

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_WINDOWS_DRIVE = re.compile(r"^[a-zA-Z]:[\\/]")


@dataclass(frozen=True, slots=True)
class SourceURI:
    """A parsed source address. ``str()`` and ``repr()`` never show credentials."""

    raw: str = field(repr=False)
    scheme: str
    host: str | None
    port: int | None
    path: str
    username: str | None
    password: str | None = field(repr=False)
    options: Mapping[str, str]

    @classmethod
    def parse(cls, uri: str) -> SourceURI:
        """Parse ``uri``; a bare path (no scheme) means ``file:``."""
        if not isinstance(uri, str) or not uri.strip():
            raise SourceURIError(
                "empty source URI; give e.g. file:config.yaml or redis://host/0?key=app"
            )
        text = uri.strip()
        if not _SCHEME.match(text) or _WINDOWS_DRIVE.match(text):
            text = "file:" + text
        try:
            parts = urlsplit(text)
            port = parts.port
        except ValueError as exc:
            raise SourceURIError(f"malformed source URI {redact(uri)}: {exc}") from exc
        options: dict[str, str] = {}
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key in options:
                raise SourceURIError(f"option {key!r} given twice in {redact(uri)}")
            options[key] = value
        return cls(
            raw=uri,
            scheme=parts.scheme.lower(),
            host=parts.hostname,
            port=port,
            path=unquote(parts.path),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password is not None else None,
            options=MappingProxyType(options),
        )

    @property
    def redacted(self) -> str:
        """The URI with its password and secret options masked, safe to print."""
        return redact(self.raw)

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"SourceURI({self.redacted!r})"

    def option(self, name: str, default: str | None = None) -> str | None:
        """The value of query option ``name``."""
        return self.options.get(name, default)

    def seconds(self, name: str, default: float) -> float:
        """Query option ``name`` as a positive, finite number of seconds (``default`` if absent).

        Raises :class:`SourceURIError` naming the option, the redacted URI and the fix.
        """
        text = self.options.get(name)
        if text is None:
            return default
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value > 0):
            raise SourceURIError(
                f"option {name}={text!r} in {self.redacted} must be a positive number of "
                f"seconds, e.g. ?{name}=2.5"
            )
        return value

    def check_options(self, known: Iterable[str]) -> None:
        """Raise :class:`SourceURIError` naming any option outside ``known`` (and ``codec``)."""
        allowed = {"codec", *known}
        unknown = sorted(set(self.options) - allowed)
        if unknown:
            raise SourceURIError(
                f"unknown option(s) {', '.join(unknown)} in {self.redacted}; "
                f"{self.scheme}: accepts {', '.join(sorted(allowed))}"
            )
