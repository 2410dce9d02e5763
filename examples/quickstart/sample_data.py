"""Deterministic sample data for the quickstart: a shop's orders, customers and products."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

CUSTOMERS = ["ada", "grace", "linus", "guido", "barbara", "ken", "margaret", "dennis"]
PRODUCTS = [
    ("sku-1", "tea", 4.5),
    ("sku-2", "coffee", 6.0),
    ("sku-3", "cake", 3.2),
    ("sku-4", "bagel", 2.8),
    ("sku-5", "juice", 5.1),
]
START = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)


def ensure_catalog(root: Path) -> None:
    """Write customers and products once."""
    catalog = root / "data" / "catalog"
    if (catalog / "products.parquet").exists():
        return
    catalog.mkdir(parents=True, exist_ok=True)
    cities = ["Paris", "Berlin", "Oslo", "Delft", "Austin", "Berkeley", "Boston", "Murray Hill"]
    lines = ["customer;city", *(f"{c};{city}" for c, city in zip(CUSTOMERS, cities, strict=True))]
    (catalog / "customers.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pq.write_table(
        pa.table(
            {
                "sku": [p[0] for p in PRODUCTS],
                "name": [p[1] for p in PRODUCTS],
                "price": [p[2] for p in PRODUCTS],
                "internal_cost": [1.0] * len(PRODUCTS),
            }
        ),
        catalog / "products.parquet",
    )


def add_orders(root: Path, count: int) -> int:
    """Append ``count`` new orders as one more export file; returns the number written."""
    folder = root / "data" / "shop" / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    existing = sorted(folder.glob("export-*.parquet"))
    first_id = sum(pq.read_metadata(f).num_rows for f in existing) + 1
    rng = random.Random(first_id)
    ids = list(range(first_id, first_id + count))
    rows = {
        "id": ids,
        "customer": [rng.choice(CUSTOMERS) for _ in ids],
        "sku": [rng.choice(PRODUCTS)[0] for _ in ids],
        "amount": [round(rng.uniform(1, 40), 2) for _ in ids],
        "ts": [START + dt.timedelta(minutes=17 * i) for i in ids],
    }
    pq.write_table(pa.table(rows), folder / f"export-{len(existing):04d}.parquet")
    return count
