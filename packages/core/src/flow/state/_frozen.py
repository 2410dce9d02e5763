"""Immutable values: a hashable read-only mapping, and deep freeze/thaw of plain data."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NoReturn, TypeVar

from pydantic import GetCoreSchemaHandler
from pydantic_core import core_schema

from ..errors import ImmutableError

__all__ = ["FrozenMap", "ReadOnlyMap", "freeze", "thaw"]

K = TypeVar("K")
V = TypeVar("V")


class ReadOnlyMap(Mapping[K, V]):
    """A mapping over a dict it never changes, hashed once: what FrozenMap and Snapshot share.

    Equal to any mapping with the same items; hashable when its values are.
    Subclasses fill ``_items`` (and ``_hash`` = None) through ``object.__setattr__``.
    """

    __slots__ = ("_hash", "_items")

    _items: dict[K, V]
    _hash: int | None

    def __getitem__(self, key: K) -> V:
        return self._items[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ReadOnlyMap):
            return self._items == other._items
        if isinstance(other, Mapping):
            return self._items == dict(other)
        return NotImplemented

    def __hash__(self) -> int:
        cached = self._hash
        if cached is None:
            cached = hash(frozenset(self._items.items()))
            object.__setattr__(self, "_hash", cached)
        return cached


class FrozenMap(ReadOnlyMap[K, V]):
    """A read-only, hashable mapping (what a ``Mapping`` field of a State holds).

    Equal to any mapping with the same items; hashable when its values are.
    """

    __slots__ = ()

    def __init__(self, items: Mapping[K, V] | None = None, /) -> None:
        object.__setattr__(self, "_items", dict(items) if items else {})
        object.__setattr__(self, "_hash", None)

    def __repr__(self) -> str:
        return f"FrozenMap({self._items!r})"

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise ImmutableError(f"FrozenMap is immutable; build a new one instead of setting {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise ImmutableError(f"FrozenMap is immutable; cannot delete {name!r}")

    def __reduce__(self) -> tuple[type[FrozenMap[K, V]], tuple[dict[K, V]]]:
        return (type(self), (self._items,))

    def __or__(self, other: Mapping[K, V]) -> FrozenMap[K, V]:
        return FrozenMap({**self._items, **other})

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Validate as dict[K, V] (so keys and values get their own schemas), then freeze;
        # serialize back through the same dict schema so JSON round-trips exactly.
        args = getattr(source, "__args__", None) or (Any, Any)
        dict_schema = handler.generate_schema(dict[args[0], args[1]])  # type: ignore[valid-type]
        return core_schema.no_info_after_validator_function(
            cls,
            dict_schema,
            serialization=core_schema.plain_serializer_function_ser_schema(
                _as_dict, return_schema=dict_schema
            ),
        )


def _as_dict(value: Mapping[Any, Any]) -> dict[Any, Any]:
    return dict(value)


def freeze(value: Any) -> Any:
    """``value`` made deep-immutable: lists → tuples, sets → frozensets, mappings → FrozenMap."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return FrozenMap({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Plain, mutable data: mappings → dicts, tuples → lists, frozensets → sets, deeply."""
    if isinstance(value, (str, bytes, int, float, bool)) or value is None:
        return value
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {thaw(v) for v in value}
    return value
