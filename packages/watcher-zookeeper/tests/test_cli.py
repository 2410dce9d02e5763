"""`flow watch zk://…` end to end: a subprocess prints each applied value as a JSON line."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from flow.testing.cli import FlowWatch
from flow_watcher_zookeeper.testing import ZNodeSource, put

DEADLINE = 60.0


async def test_flow_watch_prints_both_applied_values(znodes: ZNodeSource, tmp_path: Path) -> None:
    path = f"/flow-tests/cli-{uuid.uuid4().hex[:12]}"
    await asyncio.to_thread(put, znodes.admin, path, b'{"name": "app", "port": 80}')
    uri = f"zk://{znodes.server.hosts}{path}"
    async with FlowWatch(uri, "--count", "2", cwd=tmp_path, deadline=DEADLINE) as watch:
        first = await watch.next_event()
        assert first == {"event": "applied", "value": {"name": "app", "port": 80}}
        await asyncio.to_thread(put, znodes.admin, path, b'{"name": "app", "port": 81}')
        rest, errors = await watch.finish()
    assert watch.returncode == 0, errors
    assert {"event": "applied", "value": {"name": "app", "port": 81}} in rest
    assert {"event": "health", "health": "healthy", "error": None} in rest
