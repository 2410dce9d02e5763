"""Lineage: edges per materialization, walked with a recursive CTE under a depth cap.

The walk keeps ``(node, depth)`` pairs with ``UNION`` (not ``UNION ALL``), so
a cycle in the data ends at the depth cap instead of looping, and diamonds
are not multiplied; the outer query keeps each node's smallest depth.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

from sqlalchemy import Connection, and_, func, insert, literal, not_, select

from ._database import Database
from ._materializations import lineage_rows
from ._records import ImpactRow, LineageNode, Node, Status
from ._schema import from_db_partition, lineage, materializations, to_db_partition

__all__ = ["Lineage"]

Direction = Literal["upstream", "downstream"]
_L = lineage
_M = materializations
#: The largest depth a query may ask for (a guard against runaway walks).
MAX_DEPTH = 10_000


class Lineage:
    """Queries on ``flow_lineage``."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def add(self, mid: int, downstream: Node, upstream: Iterable[Node]) -> None:
        """Record that materialization ``mid`` of ``downstream`` read each ``upstream`` node."""
        rows = lineage_rows(mid, downstream, upstream)
        if rows:
            self.db.write(lambda conn: conn.execute(insert(_L), rows))

    def walk(
        self, direction: Direction, asset_key: str, partition: str | None, depth: int
    ) -> list[LineageNode]:
        """Every node reachable from the start within ``depth`` edges, nearest first."""
        walked = _walk(direction, asset_key, partition, _depth(depth)).subquery()
        stmt = select(walked).order_by(walked.c.depth, walked.c.asset_key, walked.c.partition)
        rows = self.db.read(lambda conn: list(conn.execute(stmt)))
        return [LineageNode(r.asset_key, from_db_partition(r.partition), r.depth) for r in rows]

    def impact(self, asset_key: str, partition: str | None, depth: int) -> list[ImpactRow]:
        """Downstream nodes with the status of each one's latest materialization."""
        walked = _walk("downstream", asset_key, partition, _depth(depth)).subquery()
        inner = _M.alias("flow_newest")
        newest = (
            select(func.max(inner.c.id))
            .where(inner.c.asset_key == walked.c.asset_key, inner.c.partition == walked.c.partition)
            .correlate(walked)
            .scalar_subquery()
        )
        stmt = (
            select(walked, _M.c.id, _M.c.status, _M.c.run_id, _M.c.finished_at)
            .select_from(walked.outerjoin(_M, _M.c.id == newest))
            .order_by(walked.c.depth, walked.c.asset_key, walked.c.partition)
        )

        def work(conn: Connection) -> list[ImpactRow]:
            return [_impact_row(r) for r in conn.execute(stmt)]

        return self.db.read(work)


def _depth(depth: int) -> int:
    if not isinstance(depth, int) or isinstance(depth, bool) or not 1 <= depth <= MAX_DEPTH:
        raise ValueError(f"depth must be an integer from 1 to {MAX_DEPTH}, got {depth!r}")
    return depth


def _walk(direction: Direction, asset_key: str, partition: str | None, depth: int) -> Any:
    """``SELECT asset_key, partition, MIN(depth)`` over the recursive walk from the start.

    ``partition=None`` starts from every partition of ``asset_key`` (for an
    unpartitioned asset that is its one node); the start nodes are left out.
    """
    if direction == "downstream":
        src_k, src_p, dst_k, dst_p = (
            _L.c.upstream_key,
            _L.c.upstream_partition,
            _L.c.downstream_key,
            _L.c.downstream_partition,
        )
    else:
        src_k, src_p, dst_k, dst_p = (
            _L.c.downstream_key,
            _L.c.downstream_partition,
            _L.c.upstream_key,
            _L.c.upstream_partition,
        )
    start = src_k == asset_key
    if partition is not None:
        start = and_(start, src_p == to_db_partition(partition))
    seed = select(
        dst_k.label("asset_key"), dst_p.label("partition"), literal(1).label("depth")
    ).where(start)
    cte = seed.cte("flow_walk", recursive=True)
    step = (
        select(dst_k, dst_p, cte.c.depth + 1)
        .select_from(_L.join(cte, and_(src_k == cte.c.asset_key, src_p == cte.c.partition)))
        .where(cte.c.depth < depth)
    )
    cte = cte.union(step)
    is_start = cte.c.asset_key == asset_key
    if partition is not None:
        is_start = and_(is_start, cte.c.partition == to_db_partition(partition))
    return (
        select(cte.c.asset_key, cte.c.partition, func.min(cte.c.depth).label("depth"))
        .where(not_(is_start))
        .group_by(cte.c.asset_key, cte.c.partition)
    )


def _impact_row(row: Any) -> ImpactRow:
    m = row._mapping
    return ImpactRow(
        asset_key=m["asset_key"],
        partition=from_db_partition(m["partition"]),
        depth=m["depth"],
        status=Status(m["status"]) if m["status"] is not None else None,
        materialization_id=m["id"],
        run_id=m["run_id"],
        finished_at=m["finished_at"],
    )
