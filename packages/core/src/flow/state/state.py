"""``State``: an immutable, validated value object (pydantic v2 underneath).

Abstract collections in field types become immutable: ``Sequence[T]`` is
stored as ``tuple[T, ...]``, ``Mapping[K, V]`` as a :class:`FrozenMap`,
``AbstractSet[T]`` as ``frozenset[T]``. Mutable concrete types (``list``,
``dict``, ``set``) are refused with a clear error, so a State is always deep-immutable
and hashable.
"""

from __future__ import annotations

import collections.abc as cabc
import re
import typing
from typing import Any, ClassVar, NoReturn

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler
from pydantic_core import core_schema

from ..errors import ImmutableError, StateError
from ._frozen import FrozenMap

__all__ = ["State"]

_CLASSVAR = re.compile(r"^\s*(typing\.|t\.)?(ClassVar|Final|InitVar)\b")
_MUTABLE = {
    list: "Sequence[...] (stored as a tuple) or tuple[..., ...]",
    dict: "Mapping[...] (stored as a FrozenMap)",
    set: "AbstractSet[...] (stored as a frozenset) or frozenset[...]",
    cabc.MutableSequence: "Sequence[...]",
    cabc.MutableMapping: "Mapping[...]",
    cabc.MutableSet: "AbstractSet[...]",
}


def _immutable(tp: Any, where: str) -> Any:
    """``tp`` with abstract collections replaced by immutable ones, recursively."""
    origin = typing.get_origin(tp) or tp
    args = typing.get_args(tp)
    if origin in _MUTABLE:
        raise StateError(
            f"{where}: {typing_repr(tp)} is mutable, and a State must be immutable; "
            f"declare {_MUTABLE[origin]} instead"
        )
    if origin is typing.Annotated:
        return _generic(typing.Annotated, (_immutable(args[0], where), *tp.__metadata__))
    if origin is typing.Literal or (not args and origin is not tp):
        return tp
    fixed = tuple(_immutable(a, where) if a is not Ellipsis else a for a in args)
    if origin in (cabc.Sequence, cabc.Collection, cabc.Iterable):
        return _generic(tuple, (fixed[0] if fixed else Any, ...))
    if origin is cabc.Mapping:
        key, value = fixed if len(fixed) == 2 else (Any, Any)
        return _generic(FrozenMap, (key, value))
    if origin in (cabc.Set, frozenset):
        return _generic(frozenset, fixed[0] if fixed else Any)
    if origin is tuple and fixed:
        return _generic(tuple, fixed)
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return _generic(typing.Union, fixed)
    return tp


def _generic(origin: Any, args: Any) -> Any:
    """``origin[args]`` for types computed at run time."""
    return origin[args]


def typing_repr(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) and not typing.get_args(tp) else repr(tp)


class _Immutable:
    """``Annotated`` marker: build the field's schema from its immutable equivalent."""

    def __init__(self, where: str) -> None:
        self.where = where

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return handler(_immutable(source, self.where))

    def __repr__(self) -> str:
        return "Immutable"


class State(BaseModel):
    """An immutable, validated value object.

    Subclass it and declare fields as with pydantic (``Generic[T]`` works).
    Instances compare and hash by value, round-trip through JSON
    (``model_dump_json`` / ``model_validate_json``), and never change: use
    :meth:`updated` to get a changed copy.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", revalidate_instances="never")

    __flow_immutable__: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Runs before pydantic collects the fields (documented), so each own annotation can
        # be wrapped: the marker sees the evaluated type, forward references included.
        # The class's own annotations dict, changed in place (inspect.get_annotations copies).
        annotations = cls.__dict__.get("__annotations__", {})  # noqa: RUF063
        for name, annotation in list(annotations.items()):
            if name.startswith("_") or _is_classvar(annotation):
                continue
            annotations[name] = typing.Annotated[annotation, _Immutable(f"{cls.__name__}.{name}")]
        super().__init_subclass__(**kwargs)

    def updated(self, **changes: Any) -> typing.Self:
        """A validated copy with ``changes`` applied; ``self`` when nothing would change."""
        fields = type(self).model_fields
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise StateError(
                f"{type(self).__name__} has no field(s) {', '.join(unknown)}; "
                f"its fields are {', '.join(fields)}"
            )
        current = self.__dict__
        if all(
            (v is current[k]) or (type(v) is type(current[k]) and v == current[k])
            for k, v in changes.items()
        ):
            return self
        new = type(self).model_validate({**current, **changes})
        return self if new.__dict__ == current else new

    def to_mapping(self) -> FrozenMap[str, Any]:
        """The fields and their values as a read-only mapping (nested States stay States)."""
        return FrozenMap(self.__dict__)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise ImmutableError(
            f"{type(self).__name__} is immutable; use .updated({name}=...) to get a changed copy"
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise ImmutableError(f"{type(self).__name__} is immutable; cannot delete {name!r}")


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return bool(_CLASSVAR.match(annotation))
    return typing.get_origin(annotation) in (ClassVar, typing.Final) or annotation in (
        ClassVar,
        typing.Final,
    )
