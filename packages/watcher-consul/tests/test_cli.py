"""`flow watch consul://…` end to end: a real subprocess, a real agent, JSON lines out."""

from __future__ import annotations

import json
import os
from pathlib import Path

from flow.testing.cli import FlowWatch

from .conftest import ACL_TOKEN, Agent, new_key

MODEL = """
import pydantic

class Feature(pydantic.BaseModel):
    name: str
    enabled: bool
"""


def watch(uri: str, cwd: Path, *options: str, models: str | None = None) -> FlowWatch:
    """``flow watch`` with no CONSUL_* variable from the test's shell."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSUL_")}
    return FlowWatch(uri, *options, cwd=cwd, env=env, models=models)


async def test_flow_watch_prints_each_applied_value(agent: Agent, tmp_path: Path) -> None:
    key = new_key("cli")
    await agent.put(key, json.dumps({"name": "search", "enabled": False}).encode())
    options = ("--model", "models:Feature", "--count", "2")
    async with watch(agent.uri(key), tmp_path, *options, models=MODEL) as flow_watch:
        first = await flow_watch.next_event()
        assert first == {"event": "applied", "value": {"name": "search", "enabled": False}}
        health = await flow_watch.next_event()
        assert (health["event"], health["health"]) == ("health", "healthy")
        await agent.put(key, json.dumps({"name": "search", "enabled": True}).encode())
        events, err = await flow_watch.finish()
    assert flow_watch.returncode == 0, err
    assert {"event": "applied", "value": {"name": "search", "enabled": True}} in events


async def test_flow_watch_reports_a_refused_token_without_showing_it(
    auth_agent: Agent, tmp_path: Path
) -> None:
    wrong = ACL_TOKEN + "-but-wrong"
    async with watch(auth_agent.uri(new_key("cli"), token=wrong), tmp_path) as flow_watch:
        events, err = await flow_watch.finish()
    assert flow_watch.returncode == 1
    error = events[-1]
    assert error["event"] == "error"
    assert "refused the ACL token" in error["error"]
    assert wrong not in json.dumps(events) + err
