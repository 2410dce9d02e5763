"""`flow watch redis://…` end to end: a real subprocess, a real server, JSON lines out."""

from __future__ import annotations

import json
from pathlib import Path

import redis.asyncio as aredis
from flow.testing.cli import FlowWatch

from .conftest import ALICE_PASSWORD, RedisServer, new_key

MODEL = """
import pydantic

class Feature(pydantic.BaseModel):
    name: str
    enabled: bool
"""


async def test_flow_watch_prints_each_applied_value(
    redis_server: RedisServer, writer: aredis.Redis, tmp_path: Path
) -> None:
    key = new_key("cli")
    await writer.set(key, json.dumps({"name": "search", "enabled": False}))
    options = ("--model", "models:Feature", "--count", "2")
    async with FlowWatch(redis_server.uri(key), *options, cwd=tmp_path, models=MODEL) as watch:
        first = await watch.next_event()
        assert first == {"event": "applied", "value": {"name": "search", "enabled": False}}
        health = await watch.next_event()
        assert (health["event"], health["health"]) == ("health", "healthy")
        await writer.set(key, json.dumps({"name": "search", "enabled": True}))
        events, err = await watch.finish()
    assert watch.returncode == 0, err
    assert {"event": "applied", "value": {"name": "search", "enabled": True}} in events


async def test_flow_watch_reports_refused_credentials_without_the_password(
    auth_server: RedisServer, tmp_path: Path
) -> None:
    wrong = ALICE_PASSWORD + "-but-wrong"
    uri = auth_server.uri(new_key("cli"), userinfo=f"alice:{wrong}")
    async with FlowWatch(uri, cwd=tmp_path) as watch:
        events, err = await watch.finish()
    assert watch.returncode == 1
    error = events[-1]
    assert error["event"] == "error"
    assert "refused the credentials" in error["error"]
    assert wrong not in json.dumps(events) + err
