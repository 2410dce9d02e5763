"""Many writes in a row: provenance, live reads and listener events against a simple model.

The write path has fast paths (flat sections, no listener) and records provenance
lazily; these tests replay random sequences of writes on Flows with and without a
listener and a schema, and compare every observable with a plain-dict model of
what the documentation promises: a leaf's origin is the source of the last write
that changed (or created) it, ``"default"`` when none did.
"""

from __future__ import annotations

from typing import Any

import pytest
from flow.errors import ConfigError, UnknownPathError
from flow.state import MISSING, ChangeEvent, Flow, from_env
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

Tree = dict[str, Any]

_keys = st.sampled_from(["a", "b", "c", "d"])
# ints and strings only: equal values then always have the same type.
_leaf = st.integers(-2, 2) | st.sampled_from(["x", "y"])
_value = st.recursive(_leaf, lambda kids: st.dictionaries(_keys, kids, max_size=3), max_leaves=6)
_mapping = st.dictionaries(_keys, _value, max_size=3)
_path = st.lists(_keys, min_size=1, max_size=3).map(tuple)
_op = st.one_of(
    st.tuples(st.just("update"), _mapping),
    st.tuples(st.just("set"), _path, _value),
    st.tuples(st.just("delete"), _path),
    st.tuples(st.just("env"), st.dictionaries(_path, st.sampled_from(["1", "x"]), max_size=3)),
    st.tuples(st.just("query")),
)


def _leaves(tree: Tree, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    out: dict[tuple[str, ...], Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict) and value:
            out.update(_leaves(value, (*path, key)))
        else:
            out[(*path, key)] = value
    return out


def _merge(base: Tree, incoming: Tree) -> Tree:
    out = dict(base)
    for key, value in incoming.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def _assoc(tree: Tree, path: tuple[str, ...], value: Any) -> Tree:
    out = dict(tree)
    if len(path) == 1:
        out[path[0]] = value
        return out
    child = out.get(path[0], {})
    if not isinstance(child, dict):
        raise ConfigError("model: a leaf is in the way")
    out[path[0]] = _assoc(child, path[1:], value)
    return out


def _dissoc(tree: Tree, path: tuple[str, ...]) -> Tree:
    if path[0] not in tree or (len(path) > 1 and not isinstance(tree[path[0]], dict)):
        raise UnknownPathError("model: no such path")
    out = dict(tree)
    if len(path) == 1:
        del out[path[0]]
    else:
        out[path[0]] = _dissoc(out[path[0]], path[1:])
    return out


def _env_tree(variables: dict[tuple[str, ...], str]) -> tuple[Tree, dict[tuple[str, ...], str]]:
    tree: Tree = {}
    origins: dict[tuple[str, ...], str] = {}
    for path in sorted(variables):
        tree = _assoc(tree, path, variables[path])  # raises like the source does on a clash
        origins[path] = "env:APP_" + "__".join(p.upper() for p in path)
    return tree, origins


class Model:
    """What a Flow must show after each write: values, origins, and the events it fires."""

    def __init__(self, tree: Tree | None = None, origin: str = "default") -> None:
        self.tree: Tree = tree or {}
        leaves = _leaves(self.tree)
        self.origins = {p: origin for p, v in leaves.items() if not isinstance(v, dict)}

    def write(
        self, new: Tree, source: str, explicit: dict[tuple[str, ...], str] | None = None
    ) -> list[tuple[str, Any, Any]]:
        before, after = _leaves(self.tree), _leaves(new)
        events = []
        for path in before.keys() - after.keys():
            self.origins.pop(path, None)
            events.append((".".join(path), _leaf_or_missing(before[path]), MISSING))
        for path, value in after.items():
            old = before.get(path, MISSING)
            if old is MISSING or type(old) is not type(value) or old != value:
                events.append((".".join(path), _leaf_or_missing(old), _leaf_or_missing(value)))
                if isinstance(value, dict):  # an empty namespace has no origin
                    self.origins.pop(path, None)
                else:
                    self.origins[path] = source
        for path, origin in (explicit or {}).items():
            if path in after:
                self.origins[path] = origin
        self.tree = new
        # Empty namespaces are not values: creating or dropping one notifies no one.
        return sorted(e for e in events if not (e[1] is MISSING and e[2] is MISSING))

    def expected_origins(self) -> dict[str, str]:
        return {".".join(p): self.origins.get(p, "default") for p in _leaves(self.tree)}


def _leaf_or_missing(value: Any) -> Any:
    return MISSING if isinstance(value, dict) else value


def _apply(flow: Flow, model: Model, op: tuple[Any, ...]) -> list[tuple[str, Any, Any]] | None:
    """Run ``op`` on the Flow and the model; the model's events, or None if both refused it."""
    kind = op[0]
    if kind == "update":
        flow.update(op[1])
        return model.write(_merge(model.tree, op[1]), "update")
    if kind == "set":
        path, value = op[1], op[2]
        try:
            new = _assoc(model.tree, path, value)
        except ConfigError:
            with pytest.raises(ConfigError):
                flow[".".join(path)] = value
            return None
        flow[".".join(path)] = value
        return model.write(new, "set")
    if kind == "delete":
        try:
            new = _dissoc(model.tree, op[1])
        except UnknownPathError:
            with pytest.raises(UnknownPathError):
                del flow[".".join(op[1])]
            return None
        del flow[".".join(op[1])]
        return model.write(new, "set")
    if kind == "env":
        environ = {"APP_" + "__".join(p.upper() for p in path): v for path, v in op[1].items()}
        try:
            layer, explicit = _env_tree(op[1])
        except ConfigError:
            with pytest.raises(ConfigError):
                flow.update(from_env("APP_", environ=environ))
            return None
        flow.update(from_env("APP_", environ=environ))
        return model.write(_merge(model.tree, layer), "env:APP_", explicit)
    assert flow.origins() == model.expected_origins()
    return None


def _check(flow: Flow, model: Model) -> None:
    assert flow.to_dict() == model.tree
    assert flow.origins() == model.expected_origins()
    for path, value in _leaves(model.tree).items():
        assert flow[".".join(path)] == value
        assert flow.origin(".".join(path)) == model.origins.get(path, "default")


@settings(max_examples=200, deadline=None)
@given(_mapping, st.lists(_op, max_size=40))
def test_origins_values_and_events_follow_the_model(start: Tree, ops: list[Any]) -> None:
    plain, listened = Flow(start), Flow(start)
    model = Model(_merge({}, start), "update")
    events: list[ChangeEvent] = []
    listened.on_change("", events.append)
    for op in ops:
        del events[:]
        # The model mutates only once: replay the op on the second Flow against a copy.
        twin = Model()
        twin.tree, twin.origins = model.tree, dict(model.origins)
        expected = _apply(plain, model, op)
        _apply(listened, twin, op)
        if expected is not None:
            got = sorted((e.path, e.old, e.new) for e in events)
            assert got == expected
    _check(plain, model)
    _check(listened, model)


class Section(BaseModel):
    x: int = 0
    y: str = ""
    z: int = 0


class Root(BaseModel):
    s: Section = Section()
    t: Section = Section()
    top: int = 0


_section = st.fixed_dictionaries(
    {}, optional={"x": st.integers(0, 2), "y": st.sampled_from(["", "p"]), "z": st.integers(0, 1)}
)
_root_layer = st.fixed_dictionaries(
    {}, optional={"s": _section, "t": _section, "top": st.integers(0, 1)}
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(_root_layer, st.booleans()), max_size=40), st.booleans())
def test_schema_updates_publish_and_record_origins(
    layers: list[tuple[Tree, bool]], listen: bool
) -> None:
    flow = Flow(schema=Root)
    s, t = flow.s, flow.t  # live references must keep following the values
    model = Model(Root().model_dump())
    events: list[ChangeEvent] = []
    if listen:
        flow.on_change("", events.append)
    for layer, query in layers:
        del events[:]
        flow.update(layer)
        expected = model.write(
            Root.model_validate(_merge(model.tree, layer)).model_dump(), "update"
        )
        if listen:
            assert sorted((e.path, e.old, e.new) for e in events) == expected
        assert (s.x, s.y, s.z, t.x, t.y, t.z) == (
            *model.tree["s"].values(),
            *model.tree["t"].values(),
        )
        if query:
            assert flow.origins() == model.expected_origins()
    _check(flow, model)


def test_origin_of_a_value_rewritten_unchanged_keeps_its_first_layer() -> None:
    flow = Flow(schema=Root)
    flow.update(from_env("APP_", environ={"APP_S__X": "1"}))
    for _ in range(40):  # many unrelated writes, so recorded provenance is compacted
        flow.update({"s": {"x": 1, "z": 1}, "t": {"x": 1}})
        flow.update({"s": {"x": 1, "z": 0}, "t": {"x": 2}})
    assert flow.origin("s.x") == "env:APP_S__X"
    assert flow.origin("s.z") == "update"
    assert flow.origin("s.y") == "default"
    flow["s.x"] = 2
    assert flow.origin("s.x") == "set"
