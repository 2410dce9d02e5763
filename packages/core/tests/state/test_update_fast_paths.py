"""The fast write paths give the same results as the general ones.

A plain config schema (values, and sections of values) is validated straight to
dicts, and flat namespaces are published by swapping their whole ``__dict__``;
these tests pin that values, errors, ``validated()`` and old snapshots are exactly
what the model path and copy-on-write promise.
"""

from __future__ import annotations

from typing import Any

import pytest
from flow.errors import ValidationFailed
from flow.state import ChangeEvent, Flow
from flow.state._schema import LAZY_MODEL, Schema, to_tree
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, field_validator


class Sec(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)
    a: int = 0
    b: str = ""
    c: float | None = None
    d: bool = False


class Req(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    need: int
    name: str = Field("x", alias="Name")


class Root(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sec: Sec = Sec()
    req: Req
    top: int = 1


_scalar = st.one_of(
    st.integers(-3, 3), st.sampled_from(["1", " x ", "", "2.5", "no"]), st.booleans(), st.none()
)
_section = st.dictionaries(st.sampled_from(["a", "b", "c", "d", "need", "Name", "zz"]), _scalar)
_anything = st.dictionaries(
    st.sampled_from(["sec", "req", "top", "extra"]), st.one_of(_scalar, _section), max_size=4
)
_mostly_valid = st.fixed_dictionaries(
    {
        "req": st.fixed_dictionaries(
            {"need": st.one_of(st.integers(-3, 3), st.sampled_from(["4", " 5", "x"]))},
            optional={"Name": st.sampled_from([" a ", "b"]), "name": st.just("c")},
        )
    },
    optional={
        "sec": st.fixed_dictionaries(
            {},
            optional={
                "a": st.one_of(st.integers(), st.just("1")),
                "b": st.sampled_from([" x ", "y"]),
                "c": st.one_of(st.none(), st.floats(allow_nan=False), st.just("2.5")),
                "d": st.one_of(st.booleans(), st.just("yes")),
            },
        ),
        "top": st.integers(-2, 2),
    },
)
_data = st.one_of(_mostly_valid, _anything)


def test_a_plain_schema_takes_the_dict_path() -> None:
    schema = Schema(Root)
    assert schema.sections == {"sec", "req"}
    model, tree = schema.validate({"req": {"need": "5"}})
    assert model is LAZY_MODEL
    assert tree == {
        "sec": {"a": 0, "b": "", "c": None, "d": False},
        "req": {"need": 5, "name": "x"},
        "top": 1,
    }


def test_a_schema_with_validators_does_not() -> None:
    class Checked(BaseModel):
        a: int = 0

        @field_validator("a")
        @classmethod
        def positive(cls, value: int) -> int:
            return abs(value)

    class Outer(BaseModel):
        sec: Checked = Checked()

    assert Schema(Outer).sections == frozenset()
    flow = Flow(schema=Outer)
    flow.update({"sec": {"a": -3}})
    assert flow.sec.a == 3
    assert flow.validated() == Outer(sec=Checked(a=3))


@settings(max_examples=300, deadline=None)
@given(_data)
def test_dict_path_validates_like_the_model(data: dict[str, Any]) -> None:
    schema = Schema(Root)
    try:
        expected = Root.model_validate(data)
    except Exception:
        with pytest.raises(ValidationFailed) as info:
            schema.validate(data)
        model_path = Schema(Root)
        model_path._to_dicts = None  # the general path: model, then to_tree
        with pytest.raises(ValidationFailed) as again:
            model_path.validate(data)
        assert str(info.value) == str(again.value)
        return
    model, tree = schema.validate(data)
    assert model is LAZY_MODEL
    converted = to_tree(expected)
    assert tree == converted
    # Same key order too (reads by attribute rely on it staying put across writes).
    assert list(tree) == list(converted)
    assert [list(v) for v in tree.values() if isinstance(v, dict)] == [
        list(v) for v in converted.values() if isinstance(v, dict)
    ]
    rebuilt = schema.model(data)
    assert rebuilt == expected
    assert rebuilt.model_fields_set == expected.model_fields_set


def test_validated_is_built_from_the_input_once_per_change() -> None:
    flow = Flow({"req": {"need": 1}}, schema=Root)
    first = flow.validated()
    assert first == Root.model_validate({"req": {"need": 1}})
    assert first.model_fields_set == {"req"}
    assert flow.validated() is first
    flow.update({"sec": {"a": "7"}})
    assert flow.validated() == Root.model_validate({"req": {"need": 1}, "sec": {"a": 7}})
    assert flow.validated() is not first


def test_invalid_update_on_a_plain_schema_names_the_path_and_changes_nothing() -> None:
    flow = Flow({"req": {"need": 1}}, schema=Root)
    events: list[ChangeEvent] = []
    flow.on_change("", events.append)
    before = flow.snapshot()
    with pytest.raises(ValidationFailed, match=r"sec\.a: Input should be a valid integer"):
        flow.update({"sec": {"a": "x", "b": "fine"}})
    with pytest.raises(ValidationFailed, match=r"req\.zz: unknown path"):
        flow.update({"req": {"zz": 1}})
    assert flow.snapshot() == before
    assert events == []


def test_swapped_namespaces_stay_live_and_old_snapshots_stay_put() -> None:
    flow = Flow({"req": {"need": 1}}, schema=Root)
    sec = flow.sec
    for n in range(5):
        flow.update({"sec": {"a": n, "b": f" v{n} "}})
    assert (sec.a, sec.b) == (4, "v4")
    snap = flow.snapshot()
    tree = flow.to_dict()
    # A listener sends later writes down the general path, which stores key by key: the
    # namespace must first get its own dict, never write into the published one.
    events: list[ChangeEvent] = []
    flow.on_change("sec", events.append)
    flow["sec.a"] = 9
    assert sec.a == 9
    assert flow.sec is sec
    assert snap.sec.a == 4
    assert tree["sec"]["a"] == 4
    assert [(e.path, e.old, e.new) for e in events] == [("sec.a", 4, 9)]
    assert flow.origin("sec.a") == "set"
    assert flow.origin("sec.b") == "update"


def test_open_flow_flat_namespace_after_swap_can_lose_keys() -> None:
    flow = Flow({"a": {"x": 1, "y": 2}})
    a = flow.a
    flow.update({"a": {"x": 3}})
    snap = flow.snapshot()
    flow.on_change("", lambda event: None)
    del flow.a.y
    assert dict(a) == {"x": 3}
    assert "y" not in vars(a)
    assert snap.a == {"x": 3, "y": 2}
    flow.a.z = 5
    assert a.z == 5
    assert snap.a == {"x": 3, "y": 2}
