"""The runner: moving, incremental watermarks, backpressure, parallelism, retries, failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from flow.dataflows import FlowDefinition, Runner, load_flows, plan
from flow.errors import DataFlowError
from flow.plugins import Registry
from flow.store import MetadataStore, Status

from .conftest import provider

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def rows(n: int, start: int = 0, tag: str = "a") -> list[dict[str, Any]]:
    return [
        {"id": i, "name": f"{tag}{i}", "updated_at": T0 + timedelta(minutes=i)}
        for i in range(start, start + n)
    ]


def make_project(
    root: Path,
    entities: dict[str, dict[str, Any]],
    *,
    data: dict[str, list[dict[str, Any]]] | None = None,
    **flow: Any,
) -> Path:
    """flows/shop with the given entities (jsonl home data/<name>.json → out/<name>.json)."""
    spec: dict[str, Any] = {"retry_delay": 0, **flow, "entities": {}}
    for name, extra in entities.items():
        spec["entities"][name] = {
            **extra,
            "home": {"type": "jsonl", "path": f"data/{name}.json", **extra.get("home", {})},
            "store": {"type": "jsonl", "path": f"out/{name}.json", **extra.get("store", {})},
        }
        source = (data or {}).get(name, rows(10))
        (root / "data").mkdir(exist_ok=True)
        (root / "data" / f"{name}.json").write_text(provider.dump(source))
    (root / "flows" / "shop").mkdir(parents=True, exist_ok=True)
    (root / "flows" / "shop" / "flow.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    return root


def flows(root: Path, registry: Registry) -> list[FlowDefinition]:
    return load_flows(project_dir=root, registry=registry, env={})


def out(root: Path, name: str) -> list[dict[str, Any]]:
    return sorted(provider.read_rows(root / "out" / f"{name}.json"), key=lambda r: r["id"])


INCREMENTAL = {"key": "id", "timestamp": "updated_at", "batch_size": 4}


async def test_moves_records_and_lineage(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(tmp_path, {"orders": INCREMENTAL, "items": {"batch_size": 3}})
    result = await Runner(flows(root, registry), metadata).run()
    assert result.ok
    assert {e.entity: e.rows for e in result.entities} == {"orders": 10, "items": 10}
    assert out(root, "orders") == rows(10)
    run = metadata.get_run(result.run_id)
    assert run is not None
    assert (run.kind, run.target, run.status) == ("flow", "shop", Status.SUCCESS)
    mat = metadata.latest_materialization("shop/orders")
    assert mat is not None
    assert mat.status is Status.SUCCESS
    assert mat.run_id == result.run_id
    assert mat.metadata is not None
    assert mat.metadata["rows"] == 10
    assert mat.metadata["watermark_after"] == "t:" + (T0 + timedelta(minutes=9)).isoformat()
    assert mat.metadata["home"] == "jsonl:data/orders.json"
    [up] = metadata.upstream("shop/orders")
    assert up.asset_key == "home:jsonl:data/orders.json"
    assert [n.asset_key for n in metadata.downstream("home:jsonl:data/orders.json")] == [
        "shop/orders"
    ]


async def test_incremental_reruns_move_only_new_rows(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(tmp_path, {"orders": INCREMENTAL})
    first = await Runner(flows(root, registry), metadata).run()
    assert first.entities[0].rows == 10
    assert first.entities[0].watermark_before is None

    again = await Runner(flows(root, registry), metadata).run()
    assert again.entities[0].rows == 0
    assert again.entities[0].watermark_before == first.entities[0].watermark_after
    assert out(root, "orders") == rows(10)

    changed = rows(10) + rows(5, start=10)
    changed[3] = {**changed[3], "name": "updated", "updated_at": T0 + timedelta(hours=1)}
    (root / "data" / "orders.json").write_text(provider.dump(changed))
    third = await Runner(flows(root, registry), metadata).run()
    assert third.entities[0].rows == 6  # 5 new + 1 updated
    assert out(root, "orders") == sorted(changed, key=lambda r: r["id"])
    stored = metadata.get_watermark("flow:shop", "orders")
    assert stored == "t:" + (T0 + timedelta(hours=1)).isoformat()


async def test_full_refresh_rereads_everything(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(tmp_path, {"orders": INCREMENTAL})
    await Runner(flows(root, registry), metadata).run()
    (root / "data" / "orders.json").write_text(provider.dump(rows(3, tag="b")))
    result = await Runner(flows(root, registry), metadata, full_refresh=True).run()
    assert result.entities[0].rows == 3
    assert out(root, "orders") == rows(3, tag="b")


async def test_backpressure_bounds_read_ahead(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(slow_writes=20)
    root = make_project(
        tmp_path,
        {"orders": {"batch_size": 1, "home": {"probe": "p"}, "store": {"probe": "p"}}},
        data={"orders": rows(60)},
    )
    result = await Runner(flows(root, registry), metadata, queue_size=3).run()
    assert result.ok
    assert probe.produced == probe.written == 60
    # queue (3) + the batch being written + the batch waiting to be put
    assert probe.max_ahead <= 3 + 2
    assert probe.max_ahead >= 3, "the reader never ran ahead: backpressure was not exercised"


async def test_entities_run_in_parallel_up_to_the_bound(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(slow_writes=5)
    entity = {"batch_size": 2, "home": {"probe": "p"}, "store": {"probe": "p"}}
    root = make_project(tmp_path, {f"e{i}": entity for i in range(6)}, parallel=2)
    result = await Runner(flows(root, registry), metadata).run()
    assert result.ok
    assert probe.max_active == 2
    assert probe.active == 0


async def test_transient_failure_is_retried_with_abort_between(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(fail_tries=1, fail_at_batch=2)
    root = make_project(
        tmp_path, {"orders": {**INCREMENTAL, "home": {"probe": "p"}, "store": {"probe": "p"}}}
    )
    result = await Runner(flows(root, registry), metadata).run()
    [entity] = result.entities
    assert entity.status is Status.SUCCESS
    assert entity.attempts == 2
    assert entity.rows == 10
    assert probe.log == ["begin", "read", "abort", "begin", "read", "publish"]
    assert out(root, "orders") == rows(10)
    assert not (root / "out" / "orders.json.staging").exists()


async def test_retries_give_up_and_record_the_failure(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(fail_tries=99, fail_in="write")
    root = make_project(
        tmp_path,
        {"orders": {**INCREMENTAL, "home": {"probe": "p"}, "store": {"probe": "p"}}},
        retries=2,
    )
    result = await Runner(flows(root, registry), metadata).run()
    [entity] = result.entities
    assert not result.ok
    assert entity.status is Status.FAILED
    assert entity.attempts == 3
    assert entity.error == "OSError: disk hiccup"
    assert probe.log.count("abort") >= 3
    mat = metadata.latest_materialization("shop/orders")
    assert mat is not None
    assert mat.status is Status.FAILED
    assert mat.error == "OSError: disk hiccup"
    assert mat.traceback is not None
    assert "gave up after 3 tries" in mat.traceback
    run = metadata.get_run(result.run_id)
    assert run is not None
    assert run.status is Status.FAILED
    assert metadata.get_watermark("flow:shop", "orders") is None
    assert not (root / "out" / "orders.json").exists()


@pytest.mark.parametrize(
    "error",
    [lambda: ValueError("bad column"), lambda: FileNotFoundError("gone"), lambda: _flagged()],
)
async def test_permanent_errors_are_not_retried(
    tmp_path: Path, registry: Registry, metadata: MetadataStore, error: Any
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(fail_tries=99, error=error)
    root = make_project(
        tmp_path, {"orders": {"home": {"probe": "p"}, "store": {"probe": "p"}, "batch_size": 2}}
    )
    result = await Runner(flows(root, registry), metadata).run()
    [entity] = result.entities
    assert entity.status is Status.FAILED
    assert entity.attempts == 1
    assert probe.log == ["begin", "read", "abort"]


def _flagged() -> Exception:
    error = ConnectionError("refused for good")
    error.transient = False  # type: ignore[attr-defined]
    return error


async def test_failed_publish_keeps_old_data_and_watermark(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(
        tmp_path, {"orders": {**INCREMENTAL, "home": {"probe": "p"}, "store": {"probe": "p"}}}
    )
    provider.PROBES["p"] = provider.Probe()
    await Runner(flows(root, registry), metadata).run()
    mark = metadata.get_watermark("flow:shop", "orders")
    (root / "data" / "orders.json").write_text(provider.dump(rows(15)))
    provider.PROBES["p"] = provider.Probe(
        fail_tries=99, fail_in="publish", error=lambda: ValueError("x")
    )
    result = await Runner(flows(root, registry), metadata).run()
    assert result.entities[0].status is Status.FAILED
    assert result.entities[0].watermark_after == mark
    assert metadata.get_watermark("flow:shop", "orders") == mark
    assert out(root, "orders") == rows(10)
    assert not (root / "out" / "orders.json.staging").exists()


class _Recording:
    """A metadata store that logs set_watermark into a probe's log (order checks)."""

    def __init__(self, inner: MetadataStore, log: list[str]) -> None:
        self._inner, self._log = inner, log

    def set_watermark(self, namespace: str, key: str, value: str) -> None:
        self._log.append("set_watermark")
        self._inner.set_watermark(namespace, key, value)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def test_watermark_is_set_only_after_publish(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe()
    root = make_project(
        tmp_path, {"orders": {**INCREMENTAL, "home": {"probe": "p"}, "store": {"probe": "p"}}}
    )
    store: Any = _Recording(metadata, probe.log)
    result = await Runner(flows(root, registry), store).run()
    assert result.ok
    assert probe.log == ["begin", "read", "publish", "set_watermark"]


async def test_cancellation_aborts_staging_and_records_failure(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    probe = provider.PROBES["p"] = provider.Probe(hold=asyncio.Event())
    root = make_project(
        tmp_path, {"orders": {**INCREMENTAL, "home": {"probe": "p"}, "store": {"probe": "p"}}}
    )
    runner = Runner(flows(root, registry), metadata)
    task = asyncio.create_task(runner.run())
    async with asyncio.timeout(10):
        await probe.first_write.wait()
    assert (root / "out" / "orders.json.staging").exists()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert probe.log[-1] == "abort"
    assert not (root / "out" / "orders.json.staging").exists()
    assert not (root / "out" / "orders.json").exists()
    mat = metadata.latest_materialization("shop/orders")
    assert mat is not None
    assert (mat.status, mat.error) == (Status.FAILED, "cancelled")
    [run] = [metadata.get_run(mat.run_id)]
    assert run is not None
    assert run.status is Status.FAILED
    assert runner.progress[0].status == "failed"


async def test_plan_moves_nothing(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(tmp_path, {"orders": INCREMENTAL, "items": {}})
    rows_ = plan(flows(root, registry), metadata)
    assert [(r.entity, r.mode, r.home, r.store, r.watermark) for r in rows_] == [
        ("orders", "initial", "jsonl:data/orders.json", "jsonl:out/orders.json", None),
        ("items", "full", "jsonl:data/items.json", "jsonl:out/items.json", None),
    ]
    assert not (root / "out").exists()
    await Runner(flows(root, registry), metadata).run()
    [again] = plan(flows(root, registry), metadata, entities=["orders"])
    assert again.mode == "incremental"
    assert again.watermark == metadata.get_watermark("flow:shop", "orders")
    [refresh] = plan(flows(root, registry), metadata, entities=["orders"], full_refresh=True)
    assert refresh.mode == "full refresh"


async def test_entity_selection(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    root = make_project(tmp_path, {"orders": {}, "items": {}, "old": {"enabled": False}})
    loaded = flows(root, registry)
    assert [p.entity for p in Runner(loaded, metadata).progress] == ["orders", "items"]
    assert [p.entity for p in Runner(loaded, metadata, entities=["old"]).progress] == ["old"]
    with pytest.raises(DataFlowError, match=r"no entity named nope.*entities: items, old, orders"):
        Runner(loaded, metadata, entities=["nope"])


async def test_one_failing_entity_does_not_stop_the_others(
    tmp_path: Path, registry: Registry, metadata: MetadataStore
) -> None:
    provider.PROBES["bad"] = provider.Probe(fail_tries=99, error=lambda: ValueError("boom"))
    root = make_project(
        tmp_path,
        {"good": {"batch_size": 2}, "bad": {"batch_size": 2, "home": {"probe": "bad"}}},
    )
    result = await Runner(flows(root, registry), metadata).run()
    status = {e.entity: e.status for e in result.entities}
    assert status == {"good": Status.SUCCESS, "bad": Status.FAILED}
    assert out(root, "good") == rows(10)
    data = result.to_dict()
    assert data["totals"] == {
        "entities": 2,
        "failed": 1,
        "rows": 10,
        "seconds": data["totals"]["seconds"],
        "ok": False,
    }
