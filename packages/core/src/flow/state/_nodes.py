"""Live namespaces: objects whose ``__dict__`` holds a Flow's current values.

Reads must be plain attribute reads (the hot path), so node classes define no
``__getattr__``: on CPython 3.11 its mere presence stops the interpreter from
specialising attribute loads and makes every read several times slower. Only
*open* nodes (a Flow without a strict schema, where ``config.a.b = 1`` must
create ``a``) use a subclass that adds ``__getattr__``; a Flow with a schema
knows its shape, so its nodes are the plain, fast classes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import ImmutableError, UnknownPathError
from ._paths import Path, is_attr_name, join, split
from ._provenance import Log
from ._snapshot import masked_repr

if TYPE_CHECKING:
    from ._core import Core

__all__ = ["Namespace", "NodeBase", "OpenNamespace", "open_variant", "sealed_variant"]


class NodeBase:
    """What a Flow and its namespaces share: item access by dotted path, iteration, repr."""

    __slots__ = (
        "__dict__",
        "_flow_core",
        "_flow_data",
        "_flow_kids",
        "_flow_log",
        "_flow_path",
        "_flow_shared",
    )

    _flow_core: Core
    _flow_data: dict[Any, Any]
    _flow_kids: dict[Any, Namespace]
    #: Writes whose provenance is not worked out yet: (old data, new data, source), oldest first.
    _flow_log: Log
    _flow_path: Path
    #: Whether ``__dict__`` *is* a tree dict (published whole): copy it before storing a key.
    _flow_shared: bool

    def _flow_init(self, core: Core, path: Path) -> None:
        setter = object.__setattr__
        setter(self, "_flow_core", core)
        setter(self, "_flow_path", path)
        setter(self, "_flow_data", {})
        setter(self, "_flow_kids", {})
        setter(self, "_flow_log", [])
        setter(self, "_flow_shared", False)

    def __getitem__(self, key: Any) -> Any:
        parts = split(key) if isinstance(key, str) else (key,)
        node: NodeBase = self
        value: Any = self
        for index, part in enumerate(parts):
            if not isinstance(value, NodeBase):
                raise self._unknown(parts[: index + 1])
            data = value._flow_data
            if part not in data:
                raise self._unknown(parts[: index + 1])
            node = value
            value = data[part]
            if isinstance(value, dict):
                kid = node._flow_kids.get(part)
                if kid is None:
                    kid = node._flow_core.detached((*node._flow_path, part), value)
                value = kid
        return value

    def _unknown(self, parts: Path) -> UnknownPathError:
        full = join(self._flow_path + parts)
        return UnknownPathError(
            f"no config value at {full!r}; set it first, or read with .get({full!r}, default)"
        )

    def __setitem__(self, key: Any, value: Any) -> None:
        parts = split(key) if isinstance(key, str) else (key,)
        self._flow_core.set(self._flow_path + parts, value)

    def __delitem__(self, key: Any) -> None:
        parts = split(key) if isinstance(key, str) else (key,)
        self._flow_core.delete(self._flow_path + parts)

    def __contains__(self, key: object) -> bool:
        try:
            self[key]
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def __iter__(self) -> Iterator[Any]:
        return iter(self._flow_data)

    def __len__(self) -> int:
        return len(self._flow_data)

    def __repr__(self) -> str:
        label = join(self._flow_path)
        inner = masked_repr(self._flow_data)
        return f"Namespace({label + ', ' if label else ''}{inner})"


class Namespace(NodeBase, Mapping[Any, Any]):
    """A nested part of a Flow (``config.database``); set values on it by attribute.

    It stays live while its path holds a mapping: reads show the current values.
    Keys that are public identifiers are attributes; every key is an item.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_"):
            raise ImmutableError(
                f"{name!r}: names starting with '_' are not config values; use item access "
                f"(namespace[{name!r}] = ...) to store such a key"
            )
        self._flow_core.set((*self._flow_path, name), value)

    def __delattr__(self, name: str) -> None:
        self._flow_core.delete((*self._flow_path, name))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Mapping):
            return self._flow_data == dict(other.items())
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self) -> NoReturn:
        raise TypeError("a live namespace cannot be pickled; pickle flow.snapshot() instead")


def _vivify(self: NodeBase, name: str) -> Any:
    """Missing attribute of an open node: its value if stored under a non-attribute key,
    else an empty namespace at that path (so ``config.a.b = 1`` creates ``a``)."""
    if name.startswith("_"):
        raise AttributeError(name)
    data = self._flow_data
    if name in data:
        return self[name]
    return self._flow_core.detached((*self._flow_path, name), {})


class OpenNamespace(Namespace):
    """A namespace of an open Flow: reading a missing name gives an empty namespace."""

    __slots__ = ()
    __getattr__ = _vivify


_OPEN: dict[type, type] = {}


def open_variant(cls: type) -> type:
    """``cls`` with ``__getattr__`` vivification (cached; same name, same layout)."""
    if getattr(cls, "_flow_sealed_of", None) is not None or "_flow_open" in cls.__dict__:
        return cls
    variant = _OPEN.get(cls)
    if variant is None:
        variant = type(
            cls.__name__,
            (cls,),
            {
                "__slots__": (),
                "__getattr__": _vivify,
                "__module__": cls.__module__,
                "__qualname__": cls.__qualname__,
                "__doc__": cls.__doc__,
                "_flow_open": True,
                "_flow_sealed_of": cls,
            },
        )
        _OPEN[cls] = variant
    return variant


def sealed_variant(cls: type) -> type:
    """The class ``open_variant`` was made from (``cls`` itself when it is not a variant)."""
    base = cls.__dict__.get("_flow_sealed_of")
    return base if isinstance(base, type) else cls


def attr_names_taken(cls: type) -> frozenset[str]:
    """Public names that methods and properties of ``cls`` own (values go to items only)."""
    taken = _TAKEN.get(cls)
    if taken is None:
        taken = frozenset(
            name
            for name in dir(cls)
            if is_attr_name(name) and _is_behaviour(getattr(cls, name, None))
        )
        _TAKEN[cls] = taken
    return taken


_TAKEN: dict[type, frozenset[str]] = {}


def _is_behaviour(attr: object) -> bool:
    return callable(attr) or hasattr(attr, "__get__") or isinstance(attr, property)
