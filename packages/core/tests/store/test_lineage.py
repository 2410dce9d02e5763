"""Lineage: recursive CTE walks on both databases (diamonds, cycles, depth caps, partitions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flow.store import LineageNode, MaterializationRecord, MetadataStore, Node, Status

_T = datetime(2024, 1, 1, tzinfo=UTC)


def _edge(
    store: MetadataStore, rid: str, down: Node, *up: Node, status: Status = Status.SUCCESS
) -> int:
    mid = store.start_materialization(run_id=rid, asset_key=down[0], partition=down[1])
    store.add_lineage(mid, down, up)
    store.finish_materialization(mid, status=status)
    return mid


@pytest.fixture
def diamond(store: MetadataStore) -> MetadataStore:
    """raw → (left, right) → joined → report; report also reads raw directly."""
    rid = store.create_run(kind="materialize_all", target="*")
    mid = store.start_materialization(run_id=rid, asset_key="raw", partition=None)
    store.finish_materialization(mid, status=Status.SUCCESS)
    _edge(store, rid, ("left", None), ("raw", None))
    _edge(store, rid, ("right", None), ("raw", None), status=Status.FAILED)
    _edge(store, rid, ("joined", None), ("left", None), ("right", None))
    _edge(store, rid, ("report", None), ("joined", None), ("raw", None))
    _edge(
        store, rid, ("joined", None), ("left", None), ("right", None)
    )  # a second materialization: same edges
    return store


def _names(nodes: list[LineageNode]) -> list[tuple[str, int]]:
    return [(x.asset_key, x.depth) for x in nodes]


def test_downstream_diamond_min_depth(diamond: MetadataStore) -> None:
    assert _names(diamond.downstream("raw")) == [
        ("left", 1),
        ("report", 1),  # direct edge wins over the 3-hop path
        ("right", 1),
        ("joined", 2),
    ]


def test_upstream_diamond(diamond: MetadataStore) -> None:
    assert _names(diamond.upstream("report")) == [
        ("joined", 1),
        ("raw", 1),
        ("left", 2),
        ("right", 2),
    ]
    assert diamond.upstream("raw") == []


def test_depth_cap(diamond: MetadataStore) -> None:
    assert _names(diamond.upstream("report", depth=1)) == [("joined", 1), ("raw", 1)]
    with pytest.raises(ValueError, match="depth"):
        diamond.upstream("report", depth=0)
    with pytest.raises(ValueError, match="depth"):
        diamond.upstream("report", depth=True)


def test_impact_shows_latest_status(diamond: MetadataStore) -> None:
    rows = {r.asset_key: r for r in diamond.impact("raw")}
    assert rows["right"].status is Status.FAILED
    assert rows["left"].status is Status.SUCCESS
    assert rows["joined"].depth == 2
    assert rows["joined"].status is Status.SUCCESS
    latest = diamond.latest_materialization("joined")
    assert latest is not None
    assert rows["joined"].materialization_id == latest.id
    assert rows["joined"].finished_at is not None


def test_impact_of_never_materialized_node(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize", target="b")
    mid = store.start_materialization(run_id=rid, asset_key="b", partition=None)
    store.add_lineage(mid, ("ghost", None), [("b", None)])  # edges may name unseen nodes
    [row] = store.impact("b")
    assert (row.asset_key, row.status, row.materialization_id, row.run_id) == (
        "ghost",
        None,
        None,
        None,
    )


def test_cycle_terminates(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize_all", target="*")
    _edge(store, rid, ("b", None), ("a", None))
    _edge(store, rid, ("c", None), ("b", None))
    _edge(store, rid, ("a", None), ("c", None))  # a → b → c → a
    assert _names(store.downstream("a", depth=50)) == [("b", 1), ("c", 2)]
    assert _names(store.upstream("a", depth=50)) == [("c", 1), ("b", 2)]
    assert [r.asset_key for r in store.impact("b", depth=10_000)] == ["c", "a"]


def test_partitions(store: MetadataStore) -> None:
    rid = store.create_run(kind="backfill", target="daily")
    _edge(store, rid, ("daily", "d:1"), ("raw", "d:1"))
    _edge(store, rid, ("daily", "d:2"), ("raw", "d:2"))
    _edge(store, rid, ("weekly", "w:1"), ("daily", "d:1"), ("daily", "d:2"))
    one = store.downstream("raw", "d:1")
    assert [(x.asset_key, x.partition, x.depth) for x in one] == [
        ("daily", "d:1", 1),
        ("weekly", "w:1", 2),
    ]
    every = store.downstream("raw")  # None: from every partition of raw
    assert {(x.asset_key, x.partition) for x in every} == {
        ("daily", "d:1"),
        ("daily", "d:2"),
        ("weekly", "w:1"),
    }
    up = store.upstream("weekly", "w:1", depth=2)
    assert [(x.asset_key, x.partition, x.depth) for x in up] == [
        ("daily", "d:1", 1),
        ("daily", "d:2", 1),
        ("raw", "d:1", 2),
        ("raw", "d:2", 2),
    ]
    assert store.downstream("raw", "d:9") == []


def test_wide_graph(store: MetadataStore) -> None:
    rid = store.create_run(kind="materialize_all", target="*")
    mids = store.record_materializations(
        [
            MaterializationRecord(
                rid, f"n{i}", None, Status.SUCCESS, _T, _T, upstream=(("root", None),)
            )
            for i in range(300)
        ]
    )
    assert len(mids) == 300
    impact = store.impact("root")
    assert len(impact) == 300
    assert all(r.status is Status.SUCCESS and r.depth == 1 for r in impact)
