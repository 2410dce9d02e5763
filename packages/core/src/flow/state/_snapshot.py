"""``Snapshot``: an immutable, nested view of a Flow's values at one moment."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import ImmutableError
from ._frozen import ReadOnlyMap, thaw
from ._paths import MASK, is_attr_name, is_secret_key

__all__ = ["Snapshot", "masked_repr"]


class Snapshot(ReadOnlyMap[Any, Any]):
    """Immutable nested values: read by attribute (``snap.database.host``) or by key.

    Nested mappings are snapshots, sequences are tuples. Equal to any mapping with
    the same items; hashable when every value is. Secret-looking keys are masked
    in ``repr``.
    """

    __slots__ = ("__dict__",)

    if TYPE_CHECKING:

        def __getattr__(self, name: str) -> Any: ...

    def __init__(self, items: Mapping[Any, Any] | None = None, /) -> None:
        data = {k: _snap(v) for k, v in items.items()} if items else {}
        object.__setattr__(self, "_items", data)
        object.__setattr__(self, "_hash", None)
        # Values that can be attributes are attributes, so reads are plain attribute reads
        # (set one by one: going through __dict__ would make CPython's reads slower).
        for key, value in data.items():
            if is_attr_name(key):
                object.__setattr__(self, key, value)

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise ImmutableError(
            f"a config snapshot is immutable; set {name!r} on the Flow itself, not its snapshot"
        )

    def __delattr__(self, name: str) -> NoReturn:
        raise ImmutableError(f"a config snapshot is immutable; cannot delete {name!r}")

    def __repr__(self) -> str:
        return f"Snapshot({masked_repr(self._items)})"

    def to_dict(self) -> dict[Any, Any]:
        """Plain, mutable data (dicts and lists), secrets unmasked."""
        return thaw(self._items)  # type: ignore[no-any-return]


def _snap(value: Any) -> Any:
    if isinstance(value, Mapping) and not isinstance(value, Snapshot):
        return Snapshot(value)
    if isinstance(value, list):
        return tuple(_snap(v) for v in value)
    if isinstance(value, tuple) and any(isinstance(v, (Mapping, list)) for v in value):
        return tuple(_snap(v) for v in value)
    if isinstance(value, set):
        return frozenset(value)
    return value


def masked_repr(value: Any, *, key: Any = None) -> str:
    """``repr`` of nested data with the values of secret-looking keys replaced by ``***``."""
    if key is not None and value is not None and is_secret_key(key):
        return repr(MASK)
    if isinstance(value, Mapping):
        inner = ", ".join(f"{k!r}: {masked_repr(v, key=k)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(masked_repr(v) for v in value)
        if isinstance(value, tuple):
            return "(" + inner + ("," if len(value) == 1 else "") + ")"
        return "[" + inner + "]"
    return repr(value)
