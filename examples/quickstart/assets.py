"""Assets downstream of the moved `shop/orders` entity.

`orders` loads what the data flow published (and names the entity in `external_deps`, so
lineage runs from the entity through the assets); `daily_revenue` and `top_customers`
are computed from it, with settings from config.yaml (through flow.config).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
from flow import Definitions, asset, config

PROJECT = Path(__file__).resolve().parent


def _table(relative: str) -> pa.Table:
    return ds.dataset(PROJECT / relative, format="parquet").to_table()


@asset(external_deps=["shop/orders"], register=False)
def orders() -> pa.Table:
    """The orders the `shop` flow moved (the published parquet store)."""
    return _table("out/shop/orders")


@asset(external_deps=["catalog/customers"], register=False)
def customers() -> pa.Table:
    """Customers copied by the `catalog` flow."""
    return _table("out/catalog/customers")


@asset(deps=["orders"], register=False)
def daily_revenue(orders: pa.Table) -> list[dict[str, Any]]:
    """Revenue per day, leaving out orders below report.min_order_amount."""
    kept = orders.filter(pc.greater_equal(orders["amount"], config.report.min_order_amount))
    days = pc.strftime(kept["ts"], format="%Y-%m-%d")
    grouped = (
        pa.table({"day": days, "amount": kept["amount"]})
        .group_by("day")
        .aggregate([("amount", "sum"), ("amount", "count")])
    )
    rows = grouped.sort_by("day").to_pylist()
    return [
        {"day": r["day"], "orders": r["amount_count"], "revenue": round(r["amount_sum"], 2)}
        for r in rows
    ]


@asset(deps=["orders", "customers"], register=False)
def top_customers(orders: pa.Table, customers: pa.Table) -> list[dict[str, Any]]:
    """The report.top_customers customers who spent most, with their city."""
    spent = orders.group_by("customer").aggregate([("amount", "sum")])
    joined = spent.join(customers, "customer").sort_by([("amount_sum", "descending")])
    best = joined.slice(0, config.report.top_customers).to_pylist()
    return [
        {"customer": r["customer"], "city": r["city"], "spent": round(r["amount_sum"], 2)}
        for r in best
    ]


definitions = Definitions([orders, customers, daily_revenue, top_customers], project_dir=PROJECT)
