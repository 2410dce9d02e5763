"""A Flow's schema: validation of the whole tree, conversion back to a tree, clear errors."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pydantic
from pydantic import BaseModel, TypeAdapter

from ..errors import ValidationFailed
from ._paths import Path, is_secret_key, join
from ._snapshot import Snapshot

__all__ = ["Schema", "to_tree"]

_SCALARS = (str, int, float, bool, type(None), bytes)
#: Exact types that are stored as they are (checked with one set lookup on hot paths).
SCALAR_TYPES = frozenset(_SCALARS)


class Schema:
    """Wraps a pydantic model (or any ``TypeAdapter``-able type) for a Flow.

    ``validate(tree)`` returns the validated object and its tree form: nested
    dicts for models and mappings, tuples for sequences, frozensets for sets.
    """

    def __init__(self, schema: Any) -> None:
        self.type = schema
        self.name = getattr(schema, "__name__", repr(schema))
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            self._validate: Callable[[Any], Any] = schema.model_validate
            extra = schema.model_config.get("extra")
        else:
            self._validate = TypeAdapter(schema).validate_python
            config = getattr(schema, "__pydantic_config__", None) or {}
            extra = config.get("extra") if isinstance(config, Mapping) else None
        #: Unknown keys are kept (extra="allow"), refused ("forbid") or dropped ("ignore").
        self.extra: str = extra or "ignore"

    def validate(
        self, tree: Mapping[Any, Any], origin: Callable[[Path], str | None] = lambda _: None
    ) -> tuple[Any, dict[Any, Any]]:
        """The validated value and its tree; :class:`ValidationFailed` names every bad path."""
        try:
            value = self._validate(tree)
        except pydantic.ValidationError as exc:
            raise ValidationFailed(describe(exc, self.name, origin)) from None
        converted = to_tree(value)
        if not isinstance(converted, dict):
            raise ValidationFailed(
                f"schema {self.name} must describe a mapping of names to values, "
                f"but validated to {type(value).__name__}"
            )
        return value, converted

    def annotation_at(self, path: Path) -> Any:
        """The declared type at ``path`` (None when the schema does not say)."""
        current: Any = self.type
        for key in path:
            fields = _fields_of(current)
            current = fields.get(key) if fields is not None else _mapping_value_type(current)
            if current is None:
                return None
        return current

    def resolve_key(self, parent: Path, raw: str) -> str:
        """The field name at ``parent`` matching ``raw`` case-insensitively (else ``raw``)."""
        fields = _fields_of(self.annotation_at(parent) if parent else self.type)
        if not fields:
            return raw
        lowered = raw.lower()
        for name in fields:
            if isinstance(name, str) and name.lower() == lowered:
                return name
        return raw


def _fields_of(tp: Any) -> dict[Any, Any] | None:
    tp = _unwrap_optional(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return {name: f.annotation for name, f in tp.model_fields.items()}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        hints = typing.get_type_hints(tp)
        return {f.name: hints.get(f.name) for f in dataclasses.fields(tp)}
    if typing.is_typeddict(tp):
        return dict(typing.get_type_hints(tp))
    return None


def _mapping_value_type(tp: Any) -> Any:
    tp = _unwrap_optional(tp)
    origin = typing.get_origin(tp)
    if origin is not None and isinstance(origin, type) and issubclass(origin, Mapping):
        args = typing.get_args(tp)
        return args[1] if len(args) == 2 else Any
    return None


def _unwrap_optional(tp: Any) -> Any:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap_optional(typing.get_args(tp)[0])
    if origin is typing.Union or str(origin) == "<class 'types.UnionType'>":
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return _unwrap_optional(args[0])
    return tp


def is_complex(tp: Any) -> bool:
    """Whether a value of type ``tp`` is structured (so an env string holds JSON for it)."""
    tp = _unwrap_optional(tp)
    if _fields_of(tp) is not None:
        return True
    origin = typing.get_origin(tp) or tp
    return (
        isinstance(origin, type)
        and issubclass(origin, (list, tuple, set, frozenset, dict, Mapping, typing.Sequence))
        and not issubclass(origin, (str, bytes))
    )


def to_tree(value: Any) -> Any:
    """A validated value as tree data: models and mappings → dicts, sequences → tuples."""
    if type(value) in SCALAR_TYPES:
        return value
    if isinstance(value, BaseModel):
        tree = {k: v if type(v) in SCALAR_TYPES else to_tree(v) for k, v in value.__dict__.items()}
        extra = value.__pydantic_extra__
        if extra:
            tree.update({k: to_tree(v) for k, v in extra.items()})
        return tree
    if isinstance(value, Mapping):
        return {k: v if type(v) in SCALAR_TYPES else to_tree(v) for k, v in value.items()}
    if isinstance(value, _SCALARS):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_tree(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return tuple(_leaf(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def _leaf(value: Any) -> Any:
    """An element of a sequence: mappings become (immutable) snapshots."""
    converted = to_tree(value)
    return Snapshot(converted) if isinstance(converted, dict) else converted


def describe(
    exc: pydantic.ValidationError, schema: str, origin: Callable[[Path], str | None]
) -> str:
    """One line per error: path, what is wrong, the input (unless secret), where it came from."""
    lines = []
    for error in exc.errors(include_url=False):
        loc: Path = tuple(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown path: {schema} does not define it"
        shown = ""
        if error["type"] not in ("missing",) and not any(is_secret_key(k) for k in loc):
            text = repr(error.get("input"))
            shown = f" (got {text if len(text) <= 60 else text[:57] + '...'})"
        where = origin(loc)
        lines.append(
            f"{join(loc) or '<root>'}: {message}{shown}{f' from {where}' if where else ''}"
        )
    return f"{schema} rejected the change, so nothing was changed:\n  " + "\n  ".join(lines)
