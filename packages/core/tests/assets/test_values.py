"""load_value reads back what an asset's IO manager stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from flow.assets import (
    DailyPartitions,
    Definitions,
    asset,
    load_value,
    materialize,
    materialize_all,
)
from flow.errors import FlowError, IOManagerError
from flow.store import MetadataStore


def test_load_value_after_materialize_memory_and_fs(project: Path, store: MetadataStore) -> None:
    @asset(register=False)
    def numbers() -> list[int]:
        return [1, 2, 3]

    @asset(deps=["numbers"], io_manager="fs", register=False)
    def total(numbers: list[int]) -> int:
        return sum(numbers)

    defs = Definitions([numbers, total], project_dir=project)
    assert materialize_all(["total"], definitions=defs, store=store).ok
    assert load_value("numbers", definitions=defs) == [1, 2, 3]
    assert load_value("total", definitions=defs) == 6


def test_load_value_of_a_partition(project: Path, store: MetadataStore) -> None:
    days = DailyPartitions(dt.date(2026, 1, 1), dt.date(2026, 1, 3))

    @asset(partitions=days, io_manager="fs", register=False)
    def daily(context) -> str:  # type: ignore[no-untyped-def]
        return f"day {context.partition.isoformat()}"

    defs = Definitions([daily], project_dir=project)
    assert materialize("daily", partition=dt.date(2026, 1, 2), definitions=defs, store=store).ok
    assert load_value("daily", partition=dt.date(2026, 1, 2), definitions=defs) == "day 2026-01-02"
    with pytest.raises(IOManagerError, match="daily"):
        load_value("daily", partition=dt.date(2026, 1, 3), definitions=defs)


def test_load_value_of_an_unknown_asset_names_it(project: Path) -> None:
    with pytest.raises(FlowError, match="nope"):
        load_value("nope", definitions=Definitions([], project_dir=project))


def test_external_deps_are_recorded_as_lineage_but_never_run(
    project: Path, store: MetadataStore
) -> None:
    @asset(external_deps=["shop/orders"], register=False)
    def report() -> int:
        return 1

    @asset(deps=["report"], register=False)
    def summary(report: int) -> int:
        return report + 1

    defs = Definitions([report, summary], project_dir=project)
    assert materialize_all(["summary"], definitions=defs, store=store).ok
    below = [node.asset_key for node in store.downstream("shop/orders")]
    assert below == ["report", "summary"]
    assert [n.asset_key for n in store.upstream("report")] == ["shop/orders"]


def test_an_external_dep_cannot_also_be_an_asset_dep() -> None:
    with pytest.raises(FlowError, match="external dependency"):

        @asset(deps=["a"], external_deps=["a"], register=False)
        def both(a: int) -> int:
            return a
