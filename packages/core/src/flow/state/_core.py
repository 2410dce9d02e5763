"""The engine behind a Flow: copy-on-write tree, validation, publishing, provenance.

Writers take one lock, build a new tree (copy-on-write), validate it against
the schema, then publish: the tree reference is swapped and each live node's
``__dict__`` entry that changed is replaced. Readers take no lock: a single
attribute read is always a whole value, and ``snapshot()`` is always one tree.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import BoundPathError, ConfigError, UnknownPathError, ValidationFailed
from ._listeners import MISSING, Listeners
from ._nodes import (
    Namespace,
    NodeBase,
    OpenNamespace,
    attr_names_taken,
    open_variant,
    sealed_variant,
)
from ._paths import Path, is_attr_name, join
from ._schema import SCALAR_TYPES, Schema, to_tree
from ._snapshot import Snapshot

if TYPE_CHECKING:
    from ._bind import Binding

__all__ = ["Core", "Layer"]

Changes = list[tuple[Path, Any, Any]]


@dataclass
class Layer:
    """Values from one source, with where each leaf came from (for provenance and errors)."""

    name: str
    data: Mapping[Any, Any]
    origins: dict[Path, str] = field(default_factory=dict)


class Core:
    """State and write path of one Flow (the root node holds a reference to it)."""

    def __init__(self, root: NodeBase) -> None:
        self.lock = threading.RLock()
        self.root = root
        self.tree: dict[Any, Any] = {}
        self.model: Any = None
        self.schema: Schema | None = None
        self.open = True
        self.listeners = Listeners()
        # Where each leaf's value came from, per parent path (saves a tuple per written leaf).
        self.origins: dict[Path, dict[Any, str]] = {}
        self.bindings: dict[Path, Binding] = {}
        self._snap: tuple[dict[Any, Any], Snapshot] | None = None
        self._taken = attr_names_taken(sealed_variant(type(root)))

    # -- nodes ---------------------------------------------------------------------------------

    def _new_node(self, path: Path) -> Namespace:
        node: Namespace = object.__new__(OpenNamespace if self.open else Namespace)
        node._flow_init(self, path)
        return node

    def detached(self, path: Path, data: dict[Any, Any]) -> Namespace:
        """A namespace for ``path`` that is not (or not yet) part of the tree."""
        node = self._new_node(path)
        self._sync(node, {}, data, path, None, "")
        return node

    def set_open(self, open_: bool) -> None:
        """Switch between open (vivifying) and sealed (plain, fastest) node classes."""
        with self.lock:
            root_cls = sealed_variant(type(self.root))
            wanted = open_variant(root_cls) if open_ else root_cls
            if self.open == open_ and type(self.root) is wanted:
                return
            self.open = open_
            # Assigning __class__ turns the root's inline values into a split dict that
            # specialised loads cannot use; a fresh (combined) dict restores fast reads.
            object.__setattr__(self.root, "__class__", wanted)
            object.__setattr__(self.root, "__dict__", dict(vars(self.root)))
            # Namespaces are rebuilt (not re-classed) so they keep inline values.
            root, tree = self.root, self.tree
            for key in list(root._flow_kids):
                if is_attr_name(key) and key not in self._taken:
                    object.__delattr__(root, key)
            root._flow_kids.clear()
            self._sync(root, {}, tree, (), None, "")

    def _walk(self, node: NodeBase) -> Iterator[Namespace]:
        for kid in node._flow_kids.values():
            yield kid
            yield from self._walk(kid)

    # -- reads ---------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The current values as one immutable :class:`Snapshot` (cached per tree)."""
        tree, cached = self.tree, self._snap
        if cached is not None and cached[0] is tree:
            return cached[1]
        snap = Snapshot(tree)
        self._snap = (tree, snap)
        return snap

    def origin(self, path: Path) -> str:
        """Which layer gave the value at ``path`` (``"default"`` when none did)."""
        if not path:
            return "default"
        return self.origins.get(path[:-1], {}).get(path[-1], "default")

    def _set_origins(self, origins: Mapping[Path, str]) -> None:
        for path, origin in origins.items():
            if path:
                self.origins.setdefault(path[:-1], {})[path[-1]] = origin

    # -- writes --------------------------------------------------------------------------------

    def set(self, path: Path, value: Any, *, source: str = "set", owner: Any = None) -> None:
        """Replace the value at ``path`` (creating namespaces on the way)."""
        if not path:
            raise ConfigError("cannot assign the root; use update(...) to change many values")
        new_value = to_tree(value)
        self._write(
            lambda tree: _assoc(tree, path, new_value),
            source,
            touches=lambda bound: _overlaps(path, bound),
            assigned=(path,),
            owner=owner,
        )

    def delete(self, path: Path) -> None:
        """Remove the value at ``path``; :class:`UnknownPathError` when there is none."""
        if not path:
            raise ConfigError("cannot delete the root; use clear()")
        self._write(lambda tree: _dissoc(tree, path), "set", touches=lambda b: _overlaps(path, b))

    def merge(self, layers: list[Layer], source: str) -> None:
        """Deep-merge ``layers`` in order, as one atomic change."""
        origins: dict[Path, str] = {}
        for layer in layers:
            origins.update(layer.origins)

        def build(tree: dict[Any, Any]) -> dict[Any, Any]:
            for layer in layers:
                tree = _merge(tree, layer.data)
            return tree

        self._write(
            build,
            source,
            touches=lambda bound: any(_merge_touches(layer.data, bound) for layer in layers),
            origins=origins,
        )

    def reset(self, schema: Schema | None, layers: list[Layer], source: str) -> None:
        """Attach ``schema`` (or none) and re-validate everything, plus ``layers``, atomically."""
        origins: dict[Path, str] = {}
        for layer in layers:
            origins.update(layer.origins)

        def build(tree: dict[Any, Any]) -> dict[Any, Any]:
            for layer in layers:
                tree = _merge(tree, layer.data)
            return tree

        with self.lock:
            previous = self.schema
            self.schema = schema
            try:
                self._write(
                    build,
                    source,
                    touches=lambda b: any(_merge_touches(la.data, b) for la in layers),
                    origins=origins,
                )
            except BaseException:
                self.schema = previous
                raise

    def _write(
        self,
        build: Callable[[dict[Any, Any]], dict[Any, Any]],
        source: str,
        *,
        touches: Callable[[Path], bool],
        assigned: tuple[Path, ...] = (),
        origins: Mapping[Path, str] | None = None,
        owner: Any = None,
    ) -> None:
        with self.lock:
            self._check_bound(touches, owner)
            old = self.tree
            new = build(old)
            model = None
            schema = self.schema
            if schema is not None:
                model, new = schema.validate(new, (origins or {}).get)
                if schema.extra != "allow":
                    for path in assigned:
                        if not _has(new, path):
                            raise ValidationFailed(
                                f"{join(path)}: unknown path: {schema.name} does not define it; "
                                "nothing was changed"
                            )
            changes: Changes | None = [] if self.listeners.active else None
            self.tree, self.model = new, model
            self._sync(self.root, old, new, (), changes, source)
            if origins:
                self._set_origins(origins)
        if changes:
            self.listeners.dispatch(changes, source)

    def _check_bound(self, touches: Callable[[Path], bool], owner: Any) -> None:
        for bound, binding in self.bindings.items():
            if binding is not owner and touches(bound):
                raise BoundPathError(
                    f"{join(bound) or '<root>'} is owned by its source {binding.label} "
                    f"(config.bind); change it at the source, or unbind({join(bound)!r}) first"
                )

    # -- publishing: diff old → new into the live nodes ----------------------------------------

    def _sync(
        self,
        node: NodeBase,
        old: dict[Any, Any],
        new: dict[Any, Any],
        path: Path,
        changes: Changes | None,
        source: str,
    ) -> None:
        # Attributes are set with object.__setattr__, never through node.__dict__: touching
        # __dict__ turns the inline attribute values into a dict that CPython 3.11's
        # specialised attribute loads cannot use, which makes every read ~8x slower.
        put = object.__setattr__
        put(node, "_flow_data", new)
        kids = node._flow_kids
        here_origins = self.origins.get(path)
        if here_origins is None:
            here_origins = self.origins[path] = {}
        taken = self._taken if node is self.root else ()
        attr_ok = _ATTR_OK
        for key, value in new.items():
            before = old.get(key, MISSING)
            if before is value:
                continue
            if type(value) is not dict:
                if type(before) is type(value) and before == value:
                    continue
                if type(before) is dict:
                    self._dropped(kids.pop(key), (*path, key), changes)
                    before = MISSING
                kid: Any = value
                if source:
                    here_origins[key] = source
                if changes is not None:
                    changes.append(((*path, key), before, value))
            elif type(before) is dict:
                if before != value:
                    self._sync(kids[key], before, value, (*path, key), changes, source)
                else:
                    put(kids[key], "_flow_data", value)
                continue
            else:
                here = (*path, key)
                if before is not MISSING:
                    here_origins.pop(key, None)
                    if changes is not None:
                        changes.append((here, before, MISSING))
                kid = self._new_node(here)
                self._sync(kid, {}, value, here, changes, source)
                kids[key] = kid
            ok = attr_ok.get(key)
            if ok is None:
                ok = _attr_ok(key)
            if ok and key not in taken:
                put(node, key, kid)
        if old and (len(old) > len(new) or not new.keys() >= old.keys()):
            for key in old.keys() - new.keys():
                if _attr_ok(key) and key not in taken:
                    object.__delattr__(node, key)
                if type(old[key]) is dict:
                    self._dropped(kids.pop(key), (*path, key), changes)
                else:
                    here_origins.pop(key, None)
                    if changes is not None:
                        changes.append(((*path, key), old[key], MISSING))

    def _dropped(self, node: NodeBase, path: Path, changes: Changes | None) -> None:
        for key, value in node._flow_data.items():
            here = (*path, key)
            if type(value) is dict:
                self._dropped(node._flow_kids[key], here, changes)
            else:
                self.origins.get(path, {}).pop(key, None)
                if changes is not None:
                    changes.append((here, value, MISSING))


# -- copy-on-write helpers ---------------------------------------------------------------------

_ATTR_OK: dict[Any, bool] = {}


def _attr_ok(key: Any) -> bool:
    """Cached :func:`is_attr_name` (keys repeat on every write)."""
    ok = _ATTR_OK.get(key)
    if ok is None:
        ok = is_attr_name(key)
        if len(_ATTR_OK) < 100_000:
            _ATTR_OK[key] = ok
    return ok


def _assoc(tree: dict[Any, Any], path: Path, value: Any) -> dict[Any, Any]:
    head, rest = path[0], path[1:]
    out = dict(tree)
    if not rest:
        out[head] = value
        return out
    child = tree.get(head, MISSING)
    if child is MISSING:
        child = {}
    elif type(child) is not dict:
        raise ConfigError(
            f"cannot set {join(path)!r}: {head!r} holds a {type(child).__name__}, not a "
            f"namespace; assign {head!r} a mapping first"
        )
    out[head] = _assoc(child, rest, value)
    return out


def _dissoc(tree: dict[Any, Any], path: Path, full: Path | None = None) -> dict[Any, Any]:
    full = full or path
    head, rest = path[0], path[1:]
    if head not in tree or (rest and type(tree[head]) is not dict):
        raise UnknownPathError(f"no config value at {join(full)!r} to delete")
    out = dict(tree)
    if rest:
        out[head] = _dissoc(tree[head], rest, full)
    else:
        del out[head]
    return out


def _merge(base: dict[Any, Any], incoming: Mapping[Any, Any]) -> dict[Any, Any]:
    out = dict(base)
    for key, value in incoming.items():
        if type(value) in SCALAR_TYPES:
            out[key] = value
            continue
        current = out.get(key)
        if type(current) is dict and isinstance(value, Mapping):
            out[key] = _merge(current, value)
        else:
            out[key] = to_tree(value)
    return out


def _has(tree: Any, path: Path) -> bool:
    for key in path:
        if type(tree) is not dict or key not in tree:
            return False
        tree = tree[key]
    return True


def _overlaps(path: Path, bound: Path) -> bool:
    shorter = min(len(path), len(bound))
    return path[:shorter] == bound[:shorter]


def _merge_touches(data: Mapping[Any, Any], bound: Path) -> bool:
    current: Any = data
    for key in bound:
        if not isinstance(current, Mapping):
            return True
        if key not in current:
            return False
        current = current[key]
    return True
