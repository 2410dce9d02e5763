"""Where assets live: the process's default registry and explicit :class:`Definitions` groups."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..errors import AssetDefinitionError
from .dag import AssetGraph, unknown_asset_message
from .definition import Asset

__all__ = ["AssetRegistry", "Definitions", "default_registry", "use_registry"]


class AssetRegistry:
    """Assets by key; ``@asset`` adds to the default one. Thread-safe."""

    def __init__(self) -> None:
        self._assets: dict[str, Asset] = {}
        self._lock = threading.Lock()

    def add(self, item: Asset) -> None:
        """Add ``item``; a different function under the same key is an error naming both.

        Re-defining the same function (same module and qualified name, e.g. a
        re-imported module or a re-run notebook cell) replaces the old one.
        """
        with self._lock:
            old = self._assets.get(item.key)
            if old is not None and old.origin != item.origin:
                raise AssetDefinitionError(
                    f"duplicate asset key {item.key!r}: defined by {old.origin} and by "
                    f"{item.origin}; rename one (@asset(name=...))"
                )
            self._assets[item.key] = item

    def remove(self, key: str) -> None:
        """Forget the asset ``key`` (no error when absent)."""
        with self._lock:
            self._assets.pop(key, None)

    def snapshot(self) -> dict[str, Asset]:
        """A copy of the assets by key."""
        with self._lock:
            return dict(self._assets)

    def __len__(self) -> int:
        return len(self._assets)

    def __contains__(self, key: object) -> bool:
        return key in self._assets


_default = AssetRegistry()
_default_lock = threading.Lock()


def default_registry() -> AssetRegistry:
    """The registry ``@asset`` adds to (per process)."""
    return _default


@contextlib.contextmanager
def use_registry(registry: AssetRegistry | None = None) -> Iterator[AssetRegistry]:
    """Make ``registry`` (default: a new empty one) the default inside the block (tests)."""
    global _default
    fresh = registry if registry is not None else AssetRegistry()
    with _default_lock:
        previous, _default = _default, fresh
    try:
        yield fresh
    finally:
        with _default_lock:
            _default = previous


class Definitions:
    """An explicit group of assets with the resources and IO managers they use.

    ``resources`` is a mapping ``type -> value or factory`` (a factory is called
    with no arguments, may be async, and may return a context manager or an
    object with ``close()``/``aclose()``), or an iterable of values keyed by their
    own type. ``io_managers`` maps names to IO manager instances and overrides
    the registered ones (e.g. ``{"fs": FsIOManager(root, format="pickle")}``).
    The graph is validated on construction: unknown dependencies and cycles raise
    :class:`~flow.errors.AssetDefinitionError`.
    """

    def __init__(
        self,
        assets: Iterable[Asset] | Mapping[str, Asset] = (),
        *,
        resources: Mapping[type, Any] | Iterable[Any] = (),
        io_managers: Mapping[str, Any] | None = None,
        project_dir: str | Path | None = None,
    ) -> None:
        items = assets.values() if isinstance(assets, Mapping) else assets
        by_key: dict[str, Asset] = {}
        for item in items:
            if not isinstance(item, Asset):
                raise AssetDefinitionError(
                    f"Definitions(assets=...) takes @asset objects, got {item!r}"
                )
            old = by_key.get(item.key)
            if old is not None and old is not item:
                raise AssetDefinitionError(
                    f"duplicate asset key {item.key!r} in Definitions: {old.origin} and "
                    f"{item.origin}"
                )
            by_key[item.key] = item
        self.assets: dict[str, Asset] = by_key
        self.graph = AssetGraph(by_key)
        self.resources: dict[type, Any] = _resource_map(resources)
        self.io_managers: dict[str, Any] = dict(io_managers or {})
        self.project_dir = Path(project_dir) if project_dir is not None else None

    def __repr__(self) -> str:
        return f"Definitions({len(self.assets)} assets)"

    def get(self, key: str) -> Asset:
        """The asset ``key``, or an error naming the closest known key."""
        try:
            return self.assets[key]
        except KeyError:
            raise AssetDefinitionError(unknown_asset_message(key, self.assets)) from None

    def with_project_dir(self, project_dir: str | Path | None) -> Definitions:
        """This group, rooted at ``project_dir`` (no copy when unchanged)."""
        if project_dir is None or (
            self.project_dir is not None and Path(project_dir) == self.project_dir
        ):
            return self
        clone = object.__new__(Definitions)
        clone.__dict__.update(self.__dict__)
        clone.project_dir = Path(project_dir)
        return clone


def _resource_map(resources: Mapping[type, Any] | Iterable[Any]) -> dict[type, Any]:
    if isinstance(resources, Mapping):
        for kind in resources:
            if not isinstance(kind, type):
                raise AssetDefinitionError(
                    f"Definitions(resources={{...}}) keys are types, got {kind!r}"
                )
        return dict(resources)
    out: dict[type, Any] = {}
    for value in resources:
        out[type(value)] = value
    return out
