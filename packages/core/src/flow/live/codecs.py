"""Codecs turn a watcher's bytes into Python data and back.

A codec is chosen by the ``?codec=`` URI option, then the file extension,
then the watcher's default, then ``json``.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any, Protocol, runtime_checkable

from ..errors import CodecError, UnknownProviderError
from ..plugins import get_registry

__all__ = [
    "Codec",
    "JsonCodec",
    "TextCodec",
    "TomlCodec",
    "YamlCodec",
    "codec_for_path",
    "get_codec",
]


@runtime_checkable
class Codec(Protocol):
    """Bytes ⇄ Python data. ``decode`` raises :class:`~flow.CodecError` on bad input."""

    name: str
    extensions: tuple[str, ...]

    def decode(self, data: bytes) -> object:
        """Turn bytes into Python data."""

    def encode(self, value: object) -> bytes:
        """Turn Python data into bytes."""


def _text(data: bytes, codec: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CodecError(
            f"{codec}: input is not UTF-8 (bad byte at offset {exc.start}); "
            "save the source as UTF-8"
        ) from exc


class JsonCodec:
    """JSON (UTF-8)."""

    name = "json"
    extensions: tuple[str, ...] = (".json",)

    def decode(self, data: bytes) -> object:
        try:
            return json.loads(data)
        except UnicodeDecodeError as exc:
            raise CodecError(f"json: input is not UTF-8 text ({exc.reason})") from exc
        except json.JSONDecodeError as exc:
            raise CodecError(f"json: {exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
        except RecursionError as exc:
            raise CodecError("json: input is nested too deeply to decode") from exc

    def encode(self, value: object) -> bytes:
        try:
            return json.dumps(value, ensure_ascii=False, default=_json_default).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise CodecError(f"json: cannot encode {type(value).__name__}: {exc}") from exc


def _json_default(value: object) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class YamlCodec:
    """YAML, always safe-loaded (no arbitrary objects)."""

    name = "yaml"
    extensions: tuple[str, ...] = (".yaml", ".yml")

    def decode(self, data: bytes) -> object:
        import yaml

        text = _text(data, "yaml")
        try:
            return yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise CodecError(f"yaml: {exc.problem or exc}{where}") from exc
        except yaml.YAMLError as exc:
            raise CodecError(f"yaml: {exc}") from exc
        except RecursionError as exc:
            raise CodecError("yaml: input is nested too deeply to decode") from exc
        except ValueError as exc:  # e.g. a timestamp with month 13: PyYAML's date() call fails
            raise CodecError(f"yaml: invalid value: {exc}") from exc

    def encode(self, value: object) -> bytes:
        import yaml

        try:
            # allow_unicode would write NEL/LS/PS raw, and the loader reads those as line
            # breaks: escaping non-ASCII is what makes every string round-trip.
            return yaml.safe_dump(value, allow_unicode=False, sort_keys=False).encode("utf-8")
        except yaml.YAMLError as exc:
            raise CodecError(f"yaml: cannot encode {type(value).__name__}: {exc}") from exc


class TomlCodec:
    """TOML (decode with the standard library's tomllib; encode needs tomli-w)."""

    name = "toml"
    extensions: tuple[str, ...] = (".toml",)

    def decode(self, data: bytes) -> object:
        text = _text(data, "toml")
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise CodecError(f"toml: {exc}") from exc

    def encode(self, value: object) -> bytes:
        try:
            import tomli_w
        except ImportError as exc:
            raise CodecError("toml: encoding needs tomli-w: `pip install tomli-w`") from exc
        if not isinstance(value, dict):
            raise CodecError(
                f"toml: only a table (dict) can be encoded, not {type(value).__name__}"
            )
        return tomli_w.dumps(value).encode("utf-8")


class TextCodec:
    """UTF-8 text, unchanged."""

    name = "text"
    extensions: tuple[str, ...] = (".txt",)

    def decode(self, data: bytes) -> object:
        return _text(data, "text")

    def encode(self, value: object) -> bytes:
        if not isinstance(value, str):
            raise CodecError(f"text: only str can be encoded, not {type(value).__name__}")
        return value.encode("utf-8")


def get_codec(name: str) -> Codec:
    """The codec registered as ``name`` (built-in or from a plugin); a class is instantiated."""
    target = get_registry().resolve("codecs", name)
    codec = target() if isinstance(target, type) else target
    if not isinstance(codec, Codec):
        raise UnknownProviderError(
            f"codec {name!r} is registered but is not a codec (it needs decode and encode)"
        )
    return codec


def codec_for_path(path: str) -> str | None:
    """The name of a registered codec that claims ``path``'s extension, if any."""
    registry = get_registry()
    lowered = path.lower()
    for name in registry.names("codecs"):
        try:
            codec = get_codec(name)
        except Exception:  # a broken or conflicting codec must not hide the others
            continue
        if any(lowered.endswith(ext) for ext in codec.extensions):
            return name
    return None
