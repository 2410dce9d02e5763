"""The engine behind a Flow: copy-on-write tree, validation, publishing, provenance.

Writers take one lock, build a new tree (copy-on-write), validate it against
the schema, then publish: the tree reference is swapped and each live node's
``__dict__`` entry that changed is replaced. Readers take no lock: a single
attribute read is always a whole value, and ``snapshot()`` is always one tree.

Provenance (which layer gave each leaf) of a *flat* namespace (values only, no
nested namespaces) written while nobody listens is worked out lazily: the write
only appends ``(old, new, source)`` to the node's log, and the log is resolved
when an origin is asked for, before an eager origin write, or when it grows long.
That keeps a bulk ``update()`` close to the cost of validation alone.
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
from ._provenance import apply_log
from ._schema import LAZY_MODEL, SCALAR_TYPES, Schema, to_tree
from ._snapshot import Snapshot

if TYPE_CHECKING:
    from ._bind import Binding

__all__ = ["Core", "Layer"]

Changes = list[tuple[Path, Any, Any]]
#: Ids of tree dicts (``set`` is a method name inside Core, hence the alias).
Ids = set[int]

#: A node's provenance log is resolved once it holds this many writes (bounds its memory).
_LOG_LIMIT = 16
_put = object.__setattr__


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
        #: (validated object or LAZY_MODEL, the input it came from, the schema that took it)
        self._model: tuple[Any, Any, Schema | None] = (None, None, None)
        #: Ids of the dicts in ``tree`` made from plain models (see ``_schema._model_kind``).
        self.plain: Ids = set()
        #: Keys of the root whose dicts are sections validated straight to dicts (_dictschema).
        self.sections: frozenset[Any] = frozenset()
        self.schema: Schema | None = None
        self.open = True
        self.listeners = Listeners()
        # Where each leaf's value came from, per parent path (saves a tuple per written leaf).
        self.origins: dict[Path, dict[Any, str]] = {}
        self.bindings: dict[Path, Binding] = {}
        self._snap: tuple[dict[Any, Any], Snapshot] | None = None
        self._taken = attr_names_taken(sealed_variant(type(root)))
        #: Whether flat namespaces may be published by swapping their whole ``__dict__``
        #: (see _sync_flat): only while the root keeps inline values.
        self.swap = True

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
            self.swap = False
            # Namespaces are rebuilt (not re-classed) so they keep inline values.
            root, tree = self.root, self.tree
            for key in list(root._flow_kids):
                if is_attr_name(key) and key not in self._taken:
                    object.__delattr__(root, key)
            # The nodes (and their provenance logs) are replaced: settle the logs first.
            self.resolve_origins()
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

    def validated(self) -> Any:
        """The schema's validated object for the current values (built now if need be)."""
        model, built, schema = self._model
        if model is LAZY_MODEL and schema is not None:
            model = schema.model(built)
            if self._model[1] is built:  # still current: keep it for the next call
                self._model = (model, built, schema)
        return model

    def origin(self, path: Path) -> str:
        """Which layer gave the value at ``path`` (``"default"`` when none did)."""
        if not path:
            return "default"
        with self.lock:  # resolving a log writes to it: not while a writer appends
            return self._origins_at(path[:-1]).get(path[-1], "default")

    def resolve_origins(self) -> None:
        """Work out every pending provenance log (then ``self.origins`` is complete)."""
        with self.lock:
            pending = [self.root]
            while pending:
                node = pending.pop()
                if node._flow_log:
                    self._resolve(node, node._flow_path)
                pending.extend(node._flow_kids.values())

    def _origins_at(self, parent: Path) -> dict[Any, str]:
        """The resolved origins of the leaves directly under ``parent`` (writable)."""
        node: NodeBase | None = self.root
        for key in parent:
            node = node._flow_kids.get(key) if node is not None else None
        if node is not None and node._flow_log:
            self._resolve(node, parent)
        here = self.origins.get(parent)
        if here is None:
            here = self.origins[parent] = {}
        return here

    def _origins_of(self, node: NodeBase) -> dict[Any, str]:
        """Like :meth:`_origins_at`, for a node at hand."""
        if node._flow_log:
            self._resolve(node, node._flow_path)
        here = self.origins.get(node._flow_path)
        if here is None:
            here = self.origins[node._flow_path] = {}
        return here

    def _set_origins(self, origins: Mapping[Path, str]) -> None:
        by_parent: dict[Path, dict[Any, str]] = {}
        for path, origin in origins.items():
            if path:
                by_parent.setdefault(path[:-1], {})[path[-1]] = origin
        for parent, here in by_parent.items():
            self._origins_at(parent).update(here)

    def _resolve(self, node: NodeBase, path: Path) -> None:
        """Work out a flat node's pending provenance log (see ``_provenance``)."""
        log = node._flow_log
        if not log:
            return
        _put(node, "_flow_log", [])
        origins = self.origins.get(path)
        if origins is None:
            origins = self.origins[path] = {}
        apply_log(log, origins)

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

    def merge_mapping(self, data: dict[Any, Any]) -> None:
        """``merge([Layer("update", data)], "update")``, minus its bookkeeping (hot path)."""
        self._write(
            lambda tree: _merge(tree, data, self.plain, self.sections),
            "update",
            touches=lambda bound: _merge_touches(data, bound),
        )

    def merge(self, layers: list[Layer], source: str) -> None:
        """Deep-merge ``layers`` in order, as one atomic change."""
        origins: dict[Path, str] = {}
        for layer in layers:
            origins.update(layer.origins)

        def build(tree: dict[Any, Any]) -> dict[Any, Any]:
            plain: Ids | frozenset[int] = self.plain
            sections = self.sections
            for layer in layers:
                tree = _merge(tree, layer.data, plain, sections)
                plain, sections = frozenset(), frozenset()  # they describe the tree before
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
            if self.bindings:
                self._check_bound(touches, owner)
            old = self.tree
            new = built = build(old)
            model = None
            schema = self.schema
            changes: Changes | None = [] if self.listeners.active else None
            # Without listeners, flat namespaces found while converting are published at once.
            flat: Ids | None = set() if changes is None else None
            plain: Ids = set()
            sections: frozenset[Any] = frozenset()
            if schema is not None:
                model, new = schema.validate(
                    new, origins.get if origins else _no_origin, flat, plain
                )
                if model is LAZY_MODEL:
                    sections = schema.sections
                if assigned and schema.extra != "allow":
                    for path in assigned:
                        if not _has(new, path):
                            raise ValidationFailed(
                                f"{join(path)}: unknown path: {schema.name} does not define it; "
                                "nothing was changed"
                            )
            self.tree, self.plain, self.sections = new, plain, sections
            self._model = (model, built, schema)
            self._sync(self.root, old, new, (), changes, source, flat, sections)
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
        flat: Ids | None = None,
        sections: frozenset[Any] = frozenset(),
    ) -> None:
        # Attributes are set with object.__setattr__, never through node.__dict__: touching
        # __dict__ turns the inline attribute values into a dict that CPython 3.11's
        # specialised attribute loads cannot use, which makes every read ~8x slower.
        put = _put
        kids = node._flow_kids
        if node._flow_shared:
            _own_dict(node)
        if (
            changes is None
            and not kids
            and SCALAR_TYPES.issuperset(map(type, new.values()))
            and _ATTR_KEYS.issuperset(new)
            and (node is not self.root or self._taken.isdisjoint(new))
        ):
            self._sync_flat(node, old, new, source)
            return
        put(node, "_flow_data", new)
        here_origins: dict[Any, str] | None = None
        swap = flat is not None and self.swap
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
                    if here_origins is None:
                        here_origins = self._origins_of(node)
                    here_origins[key] = source
                if changes is not None:
                    changes.append(((*path, key), before, value))
            elif type(before) is dict:
                if before != value:
                    kid = kids[key]
                    if (
                        swap
                        and (key in sections or id(value) in flat)  # type: ignore[operator]
                        and not kid._flow_kids
                    ):
                        # _sync_flat inlined: this runs for every changed section of an update.
                        put(kid, "_flow_data", value)
                        put(kid, "__dict__", value)
                        if not kid._flow_shared:
                            put(kid, "_flow_shared", True)
                        if source:
                            log = kid._flow_log
                            log.append((before, value, source))
                            if len(log) >= _LOG_LIMIT:
                                self._resolve(kid, kid._flow_path)
                    elif (
                        flat is not None
                        and (key in sections or id(value) in flat)
                        and not kid._flow_kids
                    ):
                        self._sync_flat(kid, before, value, source)
                    else:
                        self._sync(kid, before, value, (*path, key), changes, source, flat)
                else:
                    put(kids[key], "_flow_data", value)
                continue
            else:
                here = (*path, key)
                if before is not MISSING:
                    if here_origins is None:
                        here_origins = self._origins_of(node)
                    here_origins.pop(key, None)
                    if changes is not None:
                        changes.append((here, before, MISSING))
                kid = self._new_node(here)
                self._sync(kid, {}, value, here, changes, source, flat)
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
                    if here_origins is None:
                        here_origins = self._origins_of(node)
                    here_origins.pop(key, None)
                    if changes is not None:
                        changes.append(((*path, key), old[key], MISSING))

    def _sync_flat(
        self, node: NodeBase, old: dict[Any, Any], new: dict[Any, Any], source: str
    ) -> None:
        """Publish a namespace holding only plain values (no listener is waiting for events).

        The tree's dict becomes the node's ``__dict__`` at once: all values change together,
        and a 50-value update costs a few stores instead of 50 (each ~60 ns through
        object.__setattr__). Reads then use CPython's dict-backed attribute load, ~2 ns
        slower than inline values; so this is done only while the root still has inline
        values, keeping ``config.a.b`` within one dict-backed load. Otherwise every value
        is stored (one C-level pass; storing an equal value is invisible to readers).
        Provenance goes to the node's log (see the module docstring).
        """
        _put(node, "_flow_data", new)
        if self.swap and node is not self.root:
            # ``new`` is never mutated after this (trees are copy-on-write); per-key stores
            # later first give the node its own copy (_own_dict).
            _put(node, "__dict__", new)
            if not node._flow_shared:
                _put(node, "_flow_shared", True)
        else:
            self._store_all(node, old, new)
        if source:
            log = node._flow_log
            log.append((old, new, source))
            if len(log) >= _LOG_LIMIT:
                self._resolve(node, node._flow_path)

    def _store_all(self, node: NodeBase, old: dict[Any, Any], new: dict[Any, Any]) -> None:
        if node._flow_shared:
            _own_dict(node)
        any(map(_put.__get__(node), new.keys(), new.values()))
        if old and (len(old) > len(new) or not new.keys() >= old.keys()):
            taken = self._taken if node is self.root else ()
            for key in old.keys() - new.keys():
                if _attr_ok(key) and key not in taken:
                    object.__delattr__(node, key)

    def _dropped(self, node: NodeBase, path: Path, changes: Changes | None) -> None:
        # The node (and its provenance log) goes away: so do the origins of its leaves.
        self.origins.pop(path, None)
        for key, value in node._flow_data.items():
            if type(value) is dict:
                self._dropped(node._flow_kids[key], (*path, key), changes)
            elif changes is not None:
                changes.append(((*path, key), value, MISSING))


def _own_dict(node: NodeBase) -> None:
    """Give a node whose ``__dict__`` is a (shared, immutable) tree dict a private copy."""
    _put(node, "__dict__", dict(node.__dict__))
    _put(node, "_flow_shared", False)


# -- copy-on-write helpers ---------------------------------------------------------------------

_ATTR_OK: dict[Any, bool] = {}
#: The keys of ``_ATTR_OK`` that are attribute names (checked for a whole namespace at once).
_ATTR_KEYS: set[Any] = set()


def _attr_ok(key: Any) -> bool:
    """Cached :func:`is_attr_name` (keys repeat on every write)."""
    ok = _ATTR_OK.get(key)
    if ok is None:
        ok = is_attr_name(key)
        if len(_ATTR_OK) < 100_000:
            _ATTR_OK[key] = ok
            if ok:
                _ATTR_KEYS.add(key)
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


def _no_origin(path: Path) -> None:
    return None


_DICTS_ONLY = frozenset({dict})


def _merge(
    base: dict[Any, Any],
    incoming: Mapping[Any, Any],
    plain: set[int] | frozenset[int] = frozenset(),
    sections: frozenset[Any] = frozenset(),
) -> dict[Any, Any]:
    """``incoming`` deep-merged over ``base`` (new dicts; values converted with to_tree).

    ``plain`` holds ids of dicts in ``base`` validated by a plain model, ``sections`` the
    keys of ``base`` holding such dicts: a dict merged into one of them goes to validation
    as it is (one C-level merge, no conversion), since such a model validates raw and
    converted values alike (see ``_schema._model_kind``).
    """
    if (
        sections
        and type(incoming) is dict
        and incoming.keys() <= sections
        and _DICTS_ONLY.issuperset(map(type, incoming.values()))
    ):
        # Only sections change (the usual bulk update): one comprehension, no branches.
        out = base.copy()
        out.update({key: {**base[key], **value} for key, value in incoming.items()})
        return out
    out = dict(base)
    for key, value in incoming.items():
        if type(value) in SCALAR_TYPES:
            out[key] = value
            continue
        current = out.get(key)
        if type(current) is not dict:
            out[key] = to_tree(value)
        elif type(value) is dict and (
            key in sections
            or id(current) in plain
            or SCALAR_TYPES.issuperset(map(type, value.values()))
        ):
            out[key] = {**current, **value}  # a section of plain values: merged in C
        elif isinstance(value, Mapping):
            out[key] = _merge(current, value, plain)
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
