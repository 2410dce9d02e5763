"""`flow watch etcd://…` end to end: a real server, the real CLI in a subprocess."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from flow.testing.cli import FlowWatch

MODEL = """
import pydantic

class App(pydantic.BaseModel):
    name: str
    port: int
"""


async def test_flow_watch_prints_each_applied_value(writer: Any, tmp_path: Path) -> None:
    key = f"/cli/{uuid.uuid4().hex[:12]}/app.json"
    await writer.put(key, b'{"name": "app", "port": 80}')
    options = ("--model", "models:App", "--count", "2")
    async with FlowWatch(writer.server.uri(key), *options, cwd=tmp_path, models=MODEL) as watch:
        first = await watch.next_event()
        assert first == {"event": "applied", "value": {"name": "app", "port": 80}}
        await writer.put(key, b'{"name": "app", "port": 81}')
        rest, err = await watch.finish()
    assert watch.returncode == 0, err
    assert {"event": "applied", "value": {"name": "app", "port": 81}} in rest
    assert any(line.get("event") == "health" and line["health"] == "healthy" for line in rest)
