"""Source sensors end to end: editing a real file (flow-watcher-file) re-materializes its asset."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("flow_watcher_file", reason="needs flow-watcher-file: uv sync --all-packages")

from flow.assets import Definitions, asset, use_registry
from flow.assets.scheduler import Scheduler
from flow.assets.sensors import SourceSensor
from flow.events import subscribe
from flow.store import MetadataStore, Status


async def until(condition: Callable[[], object], what: str, timeout: float = 20.0) -> None:
    """Poll ``condition`` until true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)  # a poll interval with a deadline, not a synchronisation


async def test_editing_a_source_file_re_materializes_the_asset(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"threshold": 1}), encoding="utf-8")
    computed: list[Any] = []

    with use_registry():

        @asset(sources=[f"file:{settings}"])
        def thresholds() -> int:
            value = json.loads(settings.read_text(encoding="utf-8"))["threshold"]
            computed.append(value)
            return int(value)

        defs = Definitions([thresholds])

    with MetadataStore.open(f"sqlite:///{tmp_path / 'flow.db'}") as store:
        (source,) = [SourceSensor(s.uri, s.targets, debounce=0.2) for s in _sources(defs)]
        runner = Scheduler(defs, store=store, schedules=[], sensors=[], sources=[source])
        watching = asyncio.Event()
        unsubscribe = subscribe("scheduler.source_watching", lambda e: watching.set())
        task = asyncio.create_task(runner.run())
        try:
            await asyncio.wait_for(watching.wait(), timeout=20)
            # The initial value does not trigger; a burst of edits triggers once, latest value.
            for value in (2, 3, 4):
                settings.write_text(json.dumps({"threshold": value}), encoding="utf-8")
            await until(lambda: computed and computed[-1] == 4, "the re-materialization")
            # Replacing the file by rename (how editors save) is seen as well.
            staged = tmp_path / "settings.json.tmp"
            staged.write_text(json.dumps({"threshold": 5}), encoding="utf-8")
            staged.replace(settings)
            await until(lambda: computed[-1] == 5, "the rename-save")
        finally:
            unsubscribe()
            runner.stop()
            await task
        assert computed[0] != 1  # the initial value was not an action
        assert all(r.status is Status.SUCCESS for r in runner.records)
        assert {r.trigger for r in runner.records} == {"source"}
        latest = store.latest_materialization("thresholds")
        assert latest is not None
        assert latest.status is Status.SUCCESS


def _sources(defs: Definitions) -> list[SourceSensor]:
    from flow.assets.sensors import source_sensors

    return source_sensors(defs)
