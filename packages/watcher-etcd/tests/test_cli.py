"""`flow watch etcd://…` end to end: a real server, the real CLI in a subprocess."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from pathlib import Path
from typing import Any

MODEL = """
import pydantic

class App(pydantic.BaseModel):
    name: str
    port: int
"""
DEADLINE = 30.0


async def test_flow_watch_prints_each_applied_value(writer: Any, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    key = f"/cli/{uuid.uuid4().hex[:12]}/app.json"
    await writer.put(key, b'{"name": "app", "port": 80}')
    proc = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "flow", "watch", writer.server.uri(key)],
        *["--model", "models:App", "--json", "--count", "2"],
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), DEADLINE)
        assert json.loads(first) == {"event": "applied", "value": {"name": "app", "port": 80}}
        await writer.put(key, b'{"name": "app", "port": 81}')
        out, err = await asyncio.wait_for(proc.communicate(), DEADLINE)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0, err.decode()
    rest = [json.loads(line) for line in out.decode().splitlines()]
    assert {"event": "applied", "value": {"name": "app", "port": 81}} in rest
    assert any(line.get("event") == "health" and line["health"] == "healthy" for line in rest)
