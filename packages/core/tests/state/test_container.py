"""Flow: attribute/item access, listeners, schema validation, subclassing, threads."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from flow.errors import ConfigError, ImmutableError, UnknownPathError, ValidationFailed
from flow.state import MISSING, ChangeEvent, Flow, Namespace, Snapshot
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, SecretStr


class Database(BaseModel):
    host: str = "localhost"
    port: int = 5432
    password: SecretStr = SecretStr("pw")


class AppSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    debug: bool = False
    database: Database = Database()
    tags: list[str] = []


def test_attribute_writes_create_namespaces_and_read_back() -> None:
    flow = Flow()
    flow.api_key = "k"
    flow.database.host = "db"
    flow.database.pool.size = 5
    assert flow.database.host == "db"
    assert flow.database.pool.size == 5
    assert isinstance(flow.database, Namespace)
    assert flow.to_dict() == {"api_key": "k", "database": {"host": "db", "pool": {"size": 5}}}


def test_item_access_with_dotted_paths() -> None:
    flow = Flow({"database": {"host": "db"}})
    assert flow["database.host"] == "db"
    assert flow["database"]["host"] == "db"
    flow["database.port"] = 1
    assert flow.database.port == 1
    del flow["database.port"]
    assert "database.port" not in flow
    assert "database.host" in flow
    with pytest.raises(UnknownPathError, match=r"database\.nope"):
        flow["database.nope"]
    with pytest.raises(KeyError):
        flow["missing"]
    assert flow.get("missing", 7) == 7


def test_reading_missing_name_of_open_flow_gives_empty_namespace_and_creates_nothing() -> None:
    flow = Flow()
    pending = flow.nothing
    assert len(pending) == 0
    assert not pending
    assert "nothing" not in flow
    with pytest.raises(AttributeError):
        flow._private_missing  # noqa: B018


def test_method_names_are_values_only_through_items() -> None:
    flow = Flow()
    with pytest.raises(ConfigError, match="method"):
        flow.update = 1  # type: ignore[method-assign, assignment]
    flow["update"] = 1
    assert flow["update"] == 1
    assert callable(flow.update)


def test_values_are_frozen_and_to_dict_is_plain() -> None:
    flow = Flow({"hosts": ["a", "b"]})
    assert flow.hosts == ("a", "b")
    assert flow.to_dict() == {"hosts": ["a", "b"]}
    with pytest.raises(AttributeError):
        flow.hosts.append("c")


def test_scalar_in_the_way_of_a_nested_write_is_a_clear_error() -> None:
    flow = Flow({"port": 1})
    with pytest.raises(ConfigError, match=r"'port' holds a int"):
        flow["port.x"] = 2
    assert flow.port == 1


def test_listener_exact_path_and_prefix() -> None:
    flow = Flow({"database": {"host": "a", "port": 1}, "other": 1})
    exact: list[ChangeEvent] = []
    prefix: list[ChangeEvent] = []
    everything: list[ChangeEvent] = []
    flow.on_change("database.host", exact.append)
    flow.on_change("database", prefix.append)
    flow.on_change("", everything.append)
    flow.database.host = "b"
    flow.database.port = 2
    flow.other = 2
    assert [(e.path, e.old, e.new) for e in exact] == [("database.host", "a", "b")]
    assert [e.path for e in prefix] == ["database.host", "database.port"]
    assert [e.path for e in everything] == ["database.host", "database.port", "other"]
    assert exact[0].source == "set"


def test_update_is_one_change_notifying_each_changed_path_once() -> None:
    flow = Flow({"a": {"x": 1, "y": 2}, "b": 1})
    seen: list[tuple[str, Any, Any]] = []
    flow.on_change("", lambda e: seen.append((e.path, e.old, e.new)))
    flow.update({"a": {"x": 10, "y": 2, "z": 3}, "b": 1, "c": {"d": 4}})
    assert sorted(seen) == [("a.x", 1, 10), ("a.z", MISSING, 3), ("c.d", MISSING, 4)]


def test_replacing_a_namespace_by_a_value_notifies_deleted_leaves() -> None:
    flow = Flow({"db": {"host": "h"}})
    seen: list[tuple[str, Any, Any]] = []
    flow.on_change("db.host", lambda e: seen.append((e.path, e.old, e.new)))
    flow.db = "sqlite"
    assert seen == [("db.host", "h", MISSING)]
    assert flow.db == "sqlite"


def test_unsubscribe_stops_notifications() -> None:
    flow = Flow()
    seen: list[ChangeEvent] = []
    off = flow.on_change("a", seen.append)
    flow.a = 1
    off()
    flow.a = 2
    assert len(seen) == 1


def test_listener_exception_is_logged_and_others_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flow = Flow()
    seen: list[str] = []

    def broken(event: ChangeEvent) -> None:
        raise RuntimeError("listener broke")

    flow.on_change("a", broken)
    flow.on_change("a", lambda e: seen.append(e.path))
    with caplog.at_level(logging.ERROR, logger="flow.state"):
        flow.a = 1
    assert seen == ["a"]
    assert flow.a == 1
    assert "listener broke" in caplog.text


def test_schema_fills_defaults_validates_and_coerces() -> None:
    flow = Flow(schema=AppSettings)
    assert flow.database.host == "localhost"
    flow.database.port = "6543"
    assert flow.database.port == 6543
    assert isinstance(flow.validated(), AppSettings)
    assert flow.validated().database.port == 6543


def test_schema_rejection_changes_nothing_and_fires_nothing() -> None:
    flow = Flow(schema=AppSettings)
    seen: list[ChangeEvent] = []
    flow.on_change("", seen.append)
    before = flow.snapshot()
    with pytest.raises(ValidationFailed, match=r"database.port: .*integer.*'abc'"):
        flow.database.port = "abc"
    with pytest.raises(ValidationFailed, match="nothing was changed"):
        flow.update({"debug": True, "database": {"port": "nope"}})
    assert flow.snapshot() == before
    assert flow.debug is False
    assert seen == []


def test_unknown_path_under_strict_schema_is_refused() -> None:
    flow = Flow(schema=AppSettings)
    with pytest.raises(ValidationFailed, match="unknown path"):
        flow.databse = {"host": "x"}
    with pytest.raises(ValidationFailed, match="unknown path"):
        flow.update({"nope": 1})
    assert "databse" not in flow


def test_unknown_assignment_under_ignoring_schema_is_refused() -> None:
    class Loose(BaseModel):
        a: int = 1

    flow = Flow(schema=Loose)
    with pytest.raises(ValidationFailed, match="unknown path"):
        flow.b = 2


def test_sealed_flow_does_not_vivify() -> None:
    flow = Flow(schema=AppSettings)
    with pytest.raises(AttributeError):
        flow.nothing  # noqa: B018


def test_use_schema_validates_existing_values_atomically() -> None:
    flow = Flow({"database": {"port": "x"}})
    with pytest.raises(ValidationFailed):
        flow.use_schema(AppSettings)
    assert flow.database.port == "x"
    flow.database.port = "1"
    flow.use_schema(AppSettings)
    assert flow.database.port == 1
    assert flow.database.host == "localhost"


def test_secrets_are_masked_in_repr() -> None:
    flow = Flow(schema=AppSettings)
    flow.database.password = "hunter2"
    plain = Flow({"api_token": "tok-123", "nested": {"password": "pw-456"}})
    for text in (repr(flow), repr(flow.database), repr(flow.snapshot())):
        assert "hunter2" not in text
    for text in (repr(plain), repr(plain.nested), repr(plain.snapshot())):
        assert "tok-123" not in text
        assert "pw-456" not in text
    seen: list[ChangeEvent] = []
    plain.on_change("", seen.append)
    plain.api_token = "tok-789"
    assert "tok-789" not in repr(seen[0])
    assert flow.database.password.get_secret_value() == "hunter2"


def test_snapshot_is_immutable_consistent_and_cached() -> None:
    flow = Flow({"a": {"b": [1, 2]}})
    snap = flow.snapshot()
    assert snap is flow.snapshot()
    assert isinstance(snap, Snapshot)
    assert snap.a.b == (1, 2)
    with pytest.raises(ImmutableError):
        snap.a = 1
    flow.a.b = [3]
    assert snap.a.b == (1, 2)
    assert flow.snapshot().a.b == (3,)
    assert hash(flow.snapshot()) == hash(Snapshot({"a": {"b": (3,)}}))


def test_namespace_object_stays_live() -> None:
    flow = Flow({"db": {"host": "a"}})
    db = flow.db
    db.host = "b"
    assert db.host == "b"
    flow.update({"db": {"host": "c"}})
    assert db.host == "c"
    assert db == {"host": "c"}


class UserSession(Flow):
    def __init__(self, user_id: int) -> None:
        self.user_id = user_id
        self.cart.items = []
        self._cache = "private"

    def add(self, item: str) -> None:
        self.cart.items = [*self.cart.items, item]


def test_subclass_sets_values_in_init() -> None:
    session = UserSession(7)
    seen: list[ChangeEvent] = []
    session.on_change("cart", seen.append)
    session.add("apple")
    assert session.user_id == 7
    assert session.cart.items == ("apple",)
    assert session._cache == "private"
    assert "_cache" not in session.to_dict()
    assert isinstance(session, UserSession)
    assert [e.path for e in seen] == ["cart.items"]
    with pytest.raises(ConfigError, match="method"):
        session.add = 1  # type: ignore[method-assign, assignment]


def test_many_writers_readers_never_see_a_torn_snapshot() -> None:
    flow = Flow({"pair": {"a": 0, "b": 0}})
    stop = threading.Event()
    torn: list[Any] = []
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for i in range(300):
                value = offset * 1000 + i
                flow.update({"pair": {"a": value, "b": value}})
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        while not stop.is_set():
            snap = flow.snapshot()
            if snap.pair.a != snap.pair.b:
                torn.append(snap)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in readers + writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    for thread in readers:
        thread.join()
    assert not errors
    assert not torn
    final = flow.snapshot()
    assert final.pair.a == final.pair.b
    assert final.pair.a % 1000 == 299


def test_concurrent_counter_increments_are_not_lost_under_the_write_lock() -> None:
    flow = Flow({"n": 0})
    lock = flow._flow_core.lock

    def bump() -> None:
        for _ in range(200):
            with lock:
                flow.n = flow.n + 1

    threads = [threading.Thread(target=bump) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert flow.n == 1000


_keys = st.text(alphabet="abcdefgh", min_size=1, max_size=3)
_leaf = st.one_of(st.integers(), st.text(max_size=5), st.booleans(), st.none())
_tree = st.recursive(
    st.dictionaries(_keys, _leaf, max_size=4),
    lambda children: st.dictionaries(_keys, st.one_of(_leaf, children), max_size=4),
    max_leaves=12,
)


def _deep_merge(base: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in incoming.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _leaf_paths(tree: dict[str, Any], path: tuple[str, ...] = ()) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaf_paths(value, (*path, key)))
        else:
            out[".".join((*path, key))] = value
    return out


@settings(max_examples=150, deadline=None)
@given(_tree, _tree)
def test_update_round_trips_and_notifies_exactly_the_changed_leaves(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    flow = Flow(first)
    seen: list[str] = []
    flow.on_change("", lambda e: seen.append(e.path))
    flow.update(second)
    expected = _deep_merge(first, second)
    assert flow.to_dict() == expected
    assert flow.snapshot() == Snapshot(expected)
    before, after = _leaf_paths(first), _leaf_paths(expected)
    changed = {
        p
        for p in before.keys() | after.keys()
        if p not in before
        or p not in after
        or type(before[p]) is not type(after[p])
        or before[p] != after[p]
    }
    assert sorted(seen) == sorted(changed)
    assert len(seen) == len(set(seen))
    for path, value in after.items():
        assert flow[path] == value
