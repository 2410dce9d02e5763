"""Flow quickstart: move data with two data flows, then materialize assets downstream of it.

Run from the repository root:   uv run python examples/quickstart/main.py
Run it again: the incremental flow moves nothing new. Add orders and run again:
                                uv run python examples/quickstart/main.py --new-orders 25

Everything runs on embedded defaults: local parquet files under this folder, and the
metadata store (runs, materializations, lineage, watermarks) in .flow/flow.db.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=HERE, help="project folder (default: here)")
    parser.add_argument("--new-orders", type=int, default=0, help="append this many new orders")
    args = parser.parse_args(argv)
    project: Path = args.project.resolve()
    sys.path.insert(0, str(project))

    import flow
    import sample_data
    from flow.dataflows.watermarks import format_watermark
    from flow.store import MetadataStore
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    sample_data.ensure_catalog(project)
    if args.new_orders or not (project / "data" / "shop" / "orders").exists():
        added = sample_data.add_orders(project, args.new_orders or 120)
        console.print(f"sample data: {added} new orders exported")

    flow.config.update(flow.from_yaml(project / "config.yaml"))

    with MetadataStore.open(project_dir=project) as metadata:
        moved = flow.run_flows(project_dir=project, metadata=metadata)
        table = Table(title="moved (flow run)", title_justify="left")
        for column in ("entity", "home → store", "rows", "status"):
            table.add_column(column)
        for entity in moved.entities:
            table.add_row(
                entity.asset_key,
                f"{entity.home} → {entity.store}",
                str(entity.rows),
                entity.status.value,
            )
        console.print(table)
        if not moved.ok:
            return 1

        import assets

        result = flow.materialize_all(definitions=assets.definitions, store=metadata)
        table = Table(title="materialized (assets)", title_justify="left")
        for column in ("asset", "status", "ms"):
            table.add_column(column)
        for item in result.results:
            table.add_row(item.label, item.status.value, f"{(item.duration or 0) * 1000:.1f}")
        console.print(table)
        if not result.ok:
            return 1

        revenue = flow.load_value("daily_revenue", definitions=assets.definitions)
        best = flow.load_value("top_customers", definitions=assets.definitions)
        currency = flow.config.report.currency
        console.print(
            f"revenue over {len(revenue)} days: "
            f"{sum(day['revenue'] for day in revenue):.2f} {currency}"
        )
        console.print(
            "top customers: "
            + ", ".join(f"{c['customer']} ({c['city']}) {c['spent']:.2f}" for c in best)
        )
        orders = next(e for e in moved.entities if e.asset_key == "shop/orders")
        sources = ", ".join(n.asset_key for n in metadata.upstream("shop/orders"))
        below = ", ".join(n.asset_key for n in metadata.downstream("shop/orders"))
        console.print(
            f"incremental shop/orders: {orders.rows} new rows moved "
            f"(watermark now {format_watermark(orders.watermark_after)})"
        )
        console.print(f"lineage: {sources} -> shop/orders -> {below}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
