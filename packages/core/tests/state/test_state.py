"""State: immutability, collections, generics, updated(), JSON round-trip, hashing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from typing import Generic, TypeVar

import pytest
from flow.errors import ImmutableError, StateError
from flow.state import FrozenMap, State
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

T = TypeVar("T")


class Point(State):
    x: int
    y: int = 0


class Bag(State):
    items: Sequence[int] = ()
    meta: Mapping[str, Sequence[str]] = FrozenMap()
    flags: Set[str] = frozenset()
    where: Point | None = None


class Box(State, Generic[T]):
    item: T
    more: Sequence[T] = ()


def test_mutation_is_a_clear_error() -> None:
    point = Point(x=1)
    with pytest.raises(ImmutableError, match=r"updated\(x=...\)"):
        point.x = 2
    with pytest.raises(ImmutableError):
        del point.x
    assert point.x == 1


def test_abstract_collections_become_immutable() -> None:
    bag = Bag(items=[1, 2], meta={"a": ["b"]}, flags={"f"})
    assert bag.items == (1, 2)
    assert isinstance(bag.items, tuple)
    assert isinstance(bag.meta, FrozenMap)
    assert bag.meta["a"] == ("b",)
    assert bag.flags == frozenset({"f"})
    with pytest.raises(TypeError):
        bag.meta["x"] = ("y",)  # type: ignore[index]
    assert hash(bag) == hash(Bag(items=(1, 2), meta={"a": ("b",)}, flags=frozenset({"f"})))


def test_mutable_concrete_collections_are_refused_at_definition() -> None:
    with pytest.raises(StateError, match=r"Bad.values: list\[int\] is mutable.*Sequence"):

        class Bad(State):
            values: list[int]


def test_generics() -> None:
    box = Box[int](item=1, more=[2, 3])
    assert box.more == (2, 3)
    with pytest.raises(ValidationError):
        Box[int](item="not an int")  # type: ignore[arg-type]
    nested = Box[Point](item={"x": 1})  # type: ignore[arg-type]
    assert nested.item == Point(x=1)


def test_updated_validates_and_returns_new_or_same() -> None:
    point = Point(x=1)
    assert point.updated(x=1) is point
    assert point.updated() is point
    assert point.updated(x="1") is point  # equal after validation
    moved = point.updated(x=2)
    assert moved == Point(x=2, y=0)
    assert point.x == 1
    with pytest.raises(ValidationError):
        point.updated(x="nope")
    with pytest.raises(StateError, match="no field"):
        point.updated(z=1)


def test_to_mapping_is_read_only() -> None:
    mapping = Point(x=1, y=2).to_mapping()
    assert mapping == {"x": 1, "y": 2}
    with pytest.raises(TypeError):
        mapping["x"] = 3  # type: ignore[index]


def test_equality_and_hash() -> None:
    assert Point(x=1) == Point(x=1)
    assert Point(x=1) != Point(x=2)
    assert len({Point(x=1), Point(x=1), Point(x=2)}) == 2


def test_extra_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        Point(x=1, z=2)  # type: ignore[call-arg]


@given(
    st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=3), st.lists(st.text(max_size=3), max_size=3), max_size=3),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.one_of(st.none(), st.builds(Point, x=st.integers(), y=st.integers())),
)
def test_json_round_trip(
    items: list[int], meta: dict[str, list[str]], flags: frozenset[str], where: Point | None
) -> None:
    bag = Bag(items=items, meta=meta, flags=flags, where=where)
    again = Bag.model_validate_json(bag.model_dump_json())
    assert again == bag
    assert hash(again) == hash(bag)
