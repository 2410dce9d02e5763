"""Config sources: the environment, ``.env``, YAML, JSON and TOML files.

Each ``from_*`` returns a source; ``flow.update(source)`` loads it then, so the
values come from the moment of the update and coercion can use the Flow's
schema. Every leaf remembers where it came from (``flow.origin(path)``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from ..errors import CodecError, ConfigSourceError
from ..live.codecs import get_codec
from ._core import Layer
from ._paths import Path, is_secret_key, join
from ._schema import Schema, is_complex

__all__ = [
    "EnvSource",
    "FileSource",
    "from_dotenv",
    "from_env",
    "from_json",
    "from_toml",
    "from_yaml",
    "parse_source",
]


@dataclass(frozen=True)
class EnvSource:
    """Variables ``PREFIX`` + ``A__B`` → path ``a.b`` (from ``os.environ`` or a ``.env`` file)."""

    prefix: str
    separator: str = "__"
    dotenv: str | None = None
    required: bool = True
    environ: Mapping[str, str] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return f"dotenv:{self.dotenv}" if self.dotenv else f"env:{self.prefix}"

    def load(self, schema: Schema | None) -> Layer:
        """Read the variables now and build their tree, coerced through ``schema``."""
        variables = self._read() if self.dotenv else dict(self.environ or os.environ)
        data: dict[Any, Any] = {}
        origins: dict[Path, str] = {}
        where: dict[Path, str] = {}
        kind = "dotenv" if self.dotenv else "env"
        for var in sorted(variables):
            if not var.startswith(self.prefix) or var == self.prefix:
                continue
            raw_path = var[len(self.prefix) :].split(self.separator)
            if any(part == "" for part in raw_path):
                raise ConfigSourceError(
                    f"{self._where(var)}: empty path segment; separate levels with one "
                    f"{self.separator!r} (e.g. {self.prefix}DATABASE{self.separator}HOST)"
                )
            path = _resolve(raw_path, schema)
            value = _coerce(variables[var], path, schema, self._where(var))
            _insert(data, path, value, var, where)
            origins[path] = f"{kind}:{var}"
        return Layer(self.name, data, origins)

    def _where(self, var: str) -> str:
        return f"{self.dotenv}: {var}" if self.dotenv else f"environment variable {var}"

    def _read(self) -> dict[str, str]:
        from dotenv import dotenv_values
        from dotenv.parser import parse_stream

        assert self.dotenv is not None
        file = FsPath(self.dotenv)
        if not file.is_file():
            if self.required:
                raise ConfigSourceError(
                    f"{self.dotenv}: .env file not found; create it or pass required=False"
                )
            return {}
        text = file.read_text(encoding="utf-8")
        import io

        # python-dotenv skips lines it cannot parse with a warning; a config must not
        # silently lose values, so report the first such line as an error.
        for binding in parse_stream(io.StringIO(text)):
            if binding.error:
                raise ConfigSourceError(
                    f"{self.dotenv}: line {binding.original.line}: cannot parse "
                    f"{binding.original.string.strip()[:40]!r}; write KEY=value"
                )
        values = dotenv_values(stream=io.StringIO(text))
        return {k: v for k, v in values.items() if v is not None}


def _resolve(raw: list[str], schema: Schema | None) -> Path:
    path: list[str] = []
    for part in raw:
        path.append(schema.resolve_key(tuple(path), part) if schema else part.lower())
    return tuple(path)


def _coerce(value: str, path: Path, schema: Schema | None, where: str) -> Any:
    # Scalars are left as strings: the schema's validation coerces them ("5432" → 5432)
    # and its errors name the variable. Structured fields take JSON, as pydantic-settings does.
    if schema is None or not is_complex(schema.annotation_at(path)):
        return value
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        shown = "" if any(is_secret_key(p) for p in path) else f" {value[:40]!r}"
        raise ConfigSourceError(
            f"{where}: {join(path)} is structured, so the value must be JSON; "
            f"got{shown} ({exc.msg} at column {exc.colno})"
        ) from None


def _insert(data: dict[Any, Any], path: Path, value: Any, var: str, where: dict[Path, str]) -> None:
    node = data
    for depth, key in enumerate(path[:-1]):
        existing = node.setdefault(key, {})
        if not isinstance(existing, dict):
            raise ConfigSourceError(
                f"{var} needs {join(path[: depth + 1])} to be a namespace, but "
                f"{where[path[: depth + 1]]} sets it to a value; remove one of them"
            )
        node = existing
    if isinstance(node.get(path[-1]), dict):
        raise ConfigSourceError(
            f"{var} sets {join(path)} to a value, but other variables put values under it; "
            "remove one of them"
        )
    node[path[-1]] = value
    where[path] = var


@dataclass(frozen=True)
class FileSource:
    """A YAML, JSON or TOML file whose top level is a mapping."""

    path: str
    codec: str
    required: bool = True

    @property
    def name(self) -> str:
        return f"{self.codec}:{self.path}"

    def load(self, schema: Schema | None) -> Layer:
        """Read and decode the file now; errors name the file (and line, when known)."""
        file = FsPath(self.path)
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            if not self.required:
                return Layer(self.name, {})
            raise ConfigSourceError(
                f"{self.path}: config file not found (cwd {os.getcwd()}); "
                "create it, fix the path, or pass required=False"
            ) from None
        except OSError as exc:
            raise ConfigSourceError(f"{self.path}: cannot read: {exc.strerror}") from None
        try:
            data = get_codec(self.codec).decode(raw)
        except CodecError as exc:
            raise CodecError(f"{self.path}: {exc}") from None
        if data is None:
            data = {}
        if not isinstance(data, Mapping):
            raise ConfigSourceError(
                f"{self.path}: the top level must be a mapping of names to values, "
                f"not a {type(data).__name__}"
            )
        origins: dict[Path, str] = {}
        _leaves(data, (), origins, self.name)
        return Layer(self.name, data, origins)


def _leaves(data: Mapping[Any, Any], path: Path, out: dict[Path, str], name: str) -> None:
    for key, value in data.items():
        if isinstance(value, Mapping) and value:
            _leaves(value, (*path, key), out, name)
        else:
            out[(*path, key)] = name


def from_env(
    prefix: str, separator: str = "__", *, environ: Mapping[str, str] | None = None
) -> EnvSource:
    """Environment variables starting with ``prefix``: ``APP_DATABASE__HOST`` → ``database.host``.

    Names are matched to the schema's fields case-insensitively (lower-cased
    without a schema). Values are coerced through the schema; structured fields
    take JSON. A value that fails names its variable.
    """
    if not separator:
        raise ValueError("from_env needs a non-empty separator, e.g. '__'")
    return EnvSource(prefix, separator, environ=environ)


def from_dotenv(
    path: str = ".env", *, prefix: str = "", separator: str = "__", required: bool = True
) -> EnvSource:
    """Variables from a ``.env`` file, read like :func:`from_env` (python-dotenv parses it)."""
    return EnvSource(prefix, separator, dotenv=str(path), required=required)


def from_yaml(path: str | os.PathLike[str], *, required: bool = True) -> FileSource:
    """A YAML file (safe-loaded); syntax errors name the file and line."""
    return FileSource(os.fspath(path), "yaml", required)


def from_json(path: str | os.PathLike[str], *, required: bool = True) -> FileSource:
    """A JSON file; syntax errors name the file, line and column."""
    return FileSource(os.fspath(path), "json", required)


def from_toml(path: str | os.PathLike[str], *, required: bool = True) -> FileSource:
    """A TOML file."""
    return FileSource(os.fspath(path), "toml", required)


_BY_KIND = {"yaml": from_yaml, "yml": from_yaml, "json": from_json, "toml": from_toml}


def parse_source(spec: str) -> EnvSource | FileSource:
    """A source from text: ``yaml:PATH``, ``json:PATH``, ``toml:PATH``, ``dotenv:PATH``,
    ``env:PREFIX``, or a bare path whose extension names the format."""
    kind, sep, arg = spec.partition(":")
    if sep and kind == "env":
        return from_env(arg)
    if sep and kind == "dotenv":
        return from_dotenv(arg or ".env")
    if sep and kind in _BY_KIND:
        return _BY_KIND[kind](arg)
    suffix = FsPath(spec).suffix.lower().lstrip(".")
    if suffix in _BY_KIND:
        return _BY_KIND[suffix](spec)
    if FsPath(spec).name == ".env":
        return from_dotenv(spec)
    raise ConfigSourceError(
        f"cannot tell what kind of source {spec!r} is; write yaml:PATH, json:PATH, "
        "toml:PATH, dotenv:PATH or env:PREFIX"
    )
