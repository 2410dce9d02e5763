"""Turning a request (targets, partitions) into the steps of a run, and checking readiness."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..errors import DependencyNotReady, PartitionError
from ..store import MetadataStore, Status
from ._steps import Input, Step
from .definition import Asset
from .partitions import PartitionKey, describe_key, serialize_partition
from .registry import Definitions

__all__ = ["asset_partition", "build_steps", "check_ready", "partition_steps"]


def asset_partition(item: Asset, partition: Any) -> tuple[PartitionKey | None, str | None]:
    """The partition of ``item`` for the requested ``partition`` (validated), and its text."""
    if item.partitions is None:
        return None, None
    if partition is None:
        raise PartitionError(
            f"asset {item.key!r} is partitioned ({item.partitions!r}); pass partition=... "
            "(CLI: --partition)"
        )
    try:
        key = item.partitions.coerce(partition)
    except PartitionError as exc:
        raise PartitionError(f"asset {item.key!r}: {exc}") from None
    return key, serialize_partition(key)


def _step(defs: Definitions, item: Asset, partition: Any, index: dict[str, int]) -> Step:
    pkey, ptext = asset_partition(item, partition)
    step = Step(item, pkey, ptext)
    for dep in item.all_deps:
        param = item.inputs.get(dep)
        upstream = defs.assets.get(dep)
        if upstream is None:  # an optional dependency that is not defined
            if param is not None:
                step.inputs.append(Input(dep, param, None, None, "memory", available=False))
            continue
        wanted = pkey if pkey is not None else partition
        if upstream.partitions is not None and wanted is None:
            raise PartitionError(
                f"asset {item.key!r} reads partitioned asset {dep!r}; pass partition=..."
            )
        dkey, dtext = asset_partition(upstream, wanted)
        step.inputs.append(Input(dep, param, dkey, dtext, upstream.io_manager, step=index.get(dep)))
    return step


def build_steps(defs: Definitions, keys: list[str], partition: Any) -> list[Step]:
    """One step per key (in topological order), wired to the in-run steps they read."""
    index = {key: i for i, key in enumerate(keys)}
    steps = [_step(defs, defs.assets[key], partition, index) for key in keys]
    for i, step in enumerate(steps):
        for source in step.inputs:
            if source.step is not None:
                steps[source.step].downs.append(i)
    return steps


def partition_steps(defs: Definitions, item: Asset, partitions: Iterable[Any]) -> list[Step]:
    """One independent step per partition of ``item`` (duplicates dropped)."""
    steps: list[Step] = []
    seen: set[str | None] = set()
    for partition in partitions:
        step = _step(defs, item, partition, {})
        if step.partition_text not in seen:
            seen.add(step.partition_text)
            steps.append(step)
    return steps


def check_ready(store: MetadataStore, steps: list[Step]) -> None:
    """Raise :class:`DependencyNotReady` naming every upstream with nothing successful to read.

    Inputs from outside the run must have a latest materialization that
    succeeded; an optional one that has none is passed as ``None``.
    """
    deps = {i.dep for s in steps for i in s.inputs if i.step is None and i.available}
    if not deps:
        return
    latest = store.latest_statuses(deps)
    missing: dict[str, list[str]] = {}
    for step in steps:
        for source in step.inputs:
            if source.step is not None or not source.available:
                continue
            found = latest.get((source.dep, source.partition_text))
            if found is not None and found.status is Status.SUCCESS:
                continue
            if source.dep in step.asset.optional_deps:
                source.available = False
                continue
            label = source.dep
            if source.partition_text is not None:
                label += f"[{describe_key(source.partition)}]"
            why = "never materialized" if found is None else f"latest is {found.status.value}"
            missing.setdefault(step.label, []).append(f"{label} ({why})")
    if missing:
        shown = list(missing.items())[:5]
        parts = "; ".join(f"{who} needs {', '.join(what)}" for who, what in shown)
        more = f" (and {len(missing) - 5} more)" if len(missing) > 5 else ""
        raise DependencyNotReady(
            f"dependencies not ready: {parts}{more}. Materialize them first, or materialize "
            "the asset with its upstream (materialize_all([...]) / `flow assets materialize KEY`)"
        )
