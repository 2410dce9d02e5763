"""Faults across processes: a backfill killed mid-way, two processes on one SQLite file."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest
from flow.assets import DailyPartitions, Definitions, asset, backfill
from flow.store import MetadataStore, Status

pytestmark = pytest.mark.slow

KILLED_BACKFILL = textwrap.dedent(
    """
    import sys, threading
    from flow.assets import DailyPartitions, Definitions, asset, backfill

    days = DailyPartitions("2026-01-01")

    @asset(partitions=days, io_manager="fs")
    def daily(context):
        if context.partition.day > 20:
            threading.Event().wait()  # hangs here until the test kills the process
        return context.partition.day

    defs = Definitions([daily], project_dir=sys.argv[1])
    backfill("daily", days.range("2026-01-01", "2026-01-31"), parallel=1, definitions=defs)
    """
)

CONCURRENT = textwrap.dedent(
    """
    import sys
    from flow.assets import Definitions, asset, materialize_all
    from flow.store import MetadataStore

    prefix, project = sys.argv[1], sys.argv[2]
    items = []
    for i in range(20):
        deps = [f"{prefix}_{i - 1}"] if i else []
        items.append(asset(name=f"{prefix}_{i}", deps=deps, register=False)(lambda **kw: 1))
    defs = Definitions(items, project_dir=project)
    with MetadataStore.open(project_dir=project) as store:
        for _ in range(40):
            result = materialize_all(definitions=defs, store=store, parallel=2)
            assert result.ok, result.to_json()
    print("done")
    """
)


def _poll(predicate: object, what: str, deadline: float = 60.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.05)  # polling interval, not synchronisation: the predicate decides
    pytest.fail(f"timed out waiting for {what}")


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("FLOW_DATABASE_URL", None)
    return env


def test_killed_backfill_is_finished_by_the_next_one(project: Path) -> None:
    script = project / "killed.py"
    script.write_text(KILLED_BACKFILL)
    child = subprocess.Popen([sys.executable, str(script), str(project)], env=_env())
    try:
        with MetadataStore.open(project_dir=project) as store:
            _poll(lambda: len(store.succeeded_partitions("daily")) >= 20, "20 partitions")
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
            assert child.returncode == -signal.SIGKILL
            before = store.list_materializations(asset_key="daily", limit=1000)
            assert len(before) == 20

            days = DailyPartitions("2026-01-01")

            @asset(name="daily", partitions=days, io_manager="fs")
            def finish(context: object) -> int:
                return 0

            defs = Definitions([finish], project_dir=project)
            wanted = days.range("2026-01-01", "2026-01-31")
            result = backfill("daily", wanted, parallel=4, definitions=defs, store=store)
            assert result.ok
            assert len(result.already) == 20
            assert len(result.succeeded) == 11
            rows = store.list_materializations(asset_key="daily", limit=1000)
            per_partition = Counter(m.partition for m in rows if m.status is Status.SUCCESS)
            assert len(per_partition) == 31
            assert set(per_partition.values()) == {1}, "a partition was recorded twice"
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)


def test_two_processes_on_one_sqlite_file(project: Path) -> None:
    script = project / "two_writers.py"
    script.write_text(CONCURRENT)
    children = [
        subprocess.Popen(
            [sys.executable, str(script), prefix, str(project)],
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("left", "right")
    ]
    try:
        outputs = [child.communicate(timeout=300) for child in children]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait(timeout=30)
    for child, (out, err) in zip(children, outputs, strict=True):
        assert child.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "done"
    with MetadataStore.open(project_dir=project) as store:
        for prefix in ("left", "right"):
            rows = store.list_materializations(asset_key=f"{prefix}_19", limit=1000)
            assert len(rows) == 40
        latest = store.latest_statuses()
        assert len(latest) == 40
        assert all(m.status is Status.SUCCESS for m in latest.values())


def test_backfill_without_partitions_definition_is_refused(store: MetadataStore) -> None:
    @asset
    def plain() -> int:
        return 1

    with pytest.raises(Exception, match="not partitioned"):
        backfill("plain", ["a"], definitions=Definitions([plain]), store=store)
