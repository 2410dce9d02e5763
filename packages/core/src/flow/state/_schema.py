"""A Flow's schema: validation of the whole tree, conversion back to a tree, clear errors."""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Callable, Mapping
from typing import Any

import pydantic
from pydantic import BaseModel, TypeAdapter

from ..errors import ValidationFailed
from ._dictschema import dict_validator
from ._paths import Path, is_attr_name, is_secret_key, join
from ._snapshot import Snapshot

__all__ = ["LAZY_MODEL", "Schema", "to_tree"]

#: What ``Schema.validate`` returns for the model when only the tree was built.
LAZY_MODEL: Any = object()

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
        self._to_dicts: tuple[Callable[[Any], dict[str, Any]], tuple[str, ...]] | None = None
        #: Fields of a plain schema that hold sections (see ``validate``); empty otherwise.
        self.sections: frozenset[str] = frozenset()
        self.name = getattr(schema, "__name__", repr(schema))
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            # The validator itself: model_validate adds a Python call around it (~10% of an
            # update). A model with unresolved forward references builds it on first use.
            validator = schema.__pydantic_validator__
            complete = getattr(schema, "__pydantic_complete__", False)
            self._validate: Callable[[Any], Any] = (
                validator.validate_python if complete else schema.model_validate
            )
            extra = schema.model_config.get("extra")
            # A plain config model (values and sections of values) is validated straight to
            # dicts (see _dictschema); the model instance is built only if validated() asks.
            if complete and _has_no_hooks(schema):
                self._to_dicts = dict_validator(schema, _section_ok, _plain_field)
                if self._to_dicts is not None:
                    self.sections = frozenset(self._to_dicts[1])
        else:
            self._validate = TypeAdapter(schema).validate_python
            config = getattr(schema, "__pydantic_config__", None) or {}
            extra = config.get("extra") if isinstance(config, Mapping) else None
        #: Unknown keys are kept (extra="allow"), refused ("forbid") or dropped ("ignore").
        self.extra: str = extra or "ignore"

    def validate(
        self,
        tree: Mapping[Any, Any],
        origin: Callable[[Path], str | None] = lambda _: None,
        flat: set[int] | None = None,
        plain: set[int] | None = None,
    ) -> tuple[Any, dict[Any, Any]]:
        """The validated value and its tree; :class:`ValidationFailed` names every bad path.

        ``flat`` and ``plain`` collect ids of the tree's dicts (see :func:`to_tree`). For a
        plain schema the object is :data:`LAZY_MODEL` (build it with :meth:`model`), and
        the dicts at :attr:`sections` are its flat sections.
        """
        to_dicts = self._to_dicts
        if to_dicts is not None:
            try:
                converted = to_dicts[0](tree)
            except pydantic.ValidationError:
                pass  # the model itself says what is wrong (its own words), below
            else:
                return LAZY_MODEL, converted  # its sections are ``self.sections``
        try:
            value = self._validate(tree)
        except pydantic.ValidationError as exc:
            raise ValidationFailed(describe(exc, self.name, origin)) from None
        converted = to_tree(value, flat, plain)
        if not isinstance(converted, dict):
            raise ValidationFailed(
                f"schema {self.name} must describe a mapping of names to values, "
                f"but validated to {type(value).__name__}"
            )
        return value, converted

    def model(self, tree: Mapping[Any, Any]) -> Any:
        """The validated object for ``tree`` (which this schema accepted before)."""
        return self._validate(tree)

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


def to_tree(value: Any, flat: set[int] | None = None, plain: set[int] | None = None) -> Any:
    """A validated value as tree data: models and mappings → dicts, sequences → tuples.

    ``flat`` collects the id of every model's dict that holds only plain values under
    attribute names (the writer publishes it without looking again); ``plain`` those
    that come from a plain model (see :func:`_model_kind`).
    """
    kind = type(value)
    if kind in SCALAR_TYPES:
        return value
    # One cached lookup instead of isinstance: BaseModel's metaclass is an ABCMeta, so
    # isinstance(x, BaseModel) goes through the (slow) ABC machinery on every value.
    model = _MODEL_KIND.get(kind)
    if model is None:
        model = _model_kind(kind)
    if model:
        fields = value.__dict__
        extra = value.__pydantic_extra__
        if model == _PLAIN and not extra:
            tree = fields.copy()  # its values are plain by construction: no need to look
            if flat is not None:
                flat.add(id(tree))
            if plain is not None:
                plain.add(id(tree))
        elif SCALAR_TYPES.issuperset(map(type, fields.values())):
            # All-scalar models (the common leaf section) are copied in C, not key by key.
            tree = fields.copy()
            if flat is not None and model >= _ATTR_FIELDS and not extra:
                flat.add(id(tree))
        else:
            tree = {
                k: v if type(v) in SCALAR_TYPES else to_tree(v, flat, plain)
                for k, v in fields.items()
            }
        if extra:
            tree.update({k: to_tree(v, flat, plain) for k, v in extra.items()})
        return tree
    if kind is dict and SCALAR_TYPES.issuperset(map(type, value.values())):
        return value.copy()
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


_NOT_MODEL, _MODEL, _ATTR_FIELDS, _PLAIN = 0, 1, 2, 3
_MODEL_KIND: dict[type, int] = {}
_PLAIN_TYPES = (str, int, float, bool, bytes, type(None))


def _model_kind(kind: type) -> int:
    """What ``kind`` is: not a model, a model, one whose field names are all attribute
    names, or a *plain* model: such names, fields typed only ``str``/``int``/``float``/
    ``bool``/``bytes`` (or optional), scalar defaults, and no validators, post-init hook or
    extra keys. Pydantic can only produce plain values for a plain model's fields, so its
    ``__dict__`` is tree data as it is, and the raw input of an update needs no
    conversion to validate the same way (see ``_core._merge``)."""
    if not issubclass(kind, BaseModel):
        found = _NOT_MODEL
    elif not all(is_attr_name(name) for name in kind.model_fields):
        found = _MODEL
    else:
        found = _PLAIN if _is_plain(kind) else _ATTR_FIELDS
    if len(_MODEL_KIND) < 10_000:  # bounded: classes made on the fly must not pile up
        _MODEL_KIND[kind] = found
    return found


def _section_ok(model: type) -> bool:
    kind = _MODEL_KIND.get(model)
    return (kind if kind is not None else _model_kind(model)) == _PLAIN


def _is_plain(model: type[BaseModel]) -> bool:
    return _has_no_hooks(model) and all(map(_plain_field, model.model_fields.values()))


def _has_no_hooks(model: type[BaseModel]) -> bool:
    decorators = model.__pydantic_decorators__
    return not (
        not model.__pydantic_complete__
        or model.model_config.get("extra") == "allow"
        or getattr(model, "__pydantic_post_init__", None) is not None
        or getattr(model, "__pydantic_root_model__", False)
        or decorators.validators
        or decorators.field_validators
        or decorators.root_validators
        or decorators.model_validators
    )


def _plain_field(field: Any) -> bool:
    """A field typed str/int/float/bool/bytes (or optional), scalar default, no extras."""
    return (
        _unwrap_optional(field.annotation) in _PLAIN_TYPES
        and not field.metadata
        and field.default_factory is None
        and (field.is_required() or type(field.default) in SCALAR_TYPES)
    )


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
