"""`flow watch consul://…` end to end: a real subprocess, a real agent, JSON lines out."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from .conftest import ACL_TOKEN, Agent, new_key

MODEL = """
import pydantic

class Feature(pydantic.BaseModel):
    name: str
    enabled: bool
"""


def start_watch(cwd: Path, uri: str, *options: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONSUL_")}
    return subprocess.Popen(
        [sys.executable, "-m", "flow", "watch", uri, "--json", *options],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "NO_COLOR": "1"},
    )


async def read_line(proc: subprocess.Popen[str], timeout: float = 30.0) -> str:
    """The next stdout line, read in a thread with a deadline (the loop keeps running)."""
    assert proc.stdout is not None
    line = await asyncio.wait_for(asyncio.to_thread(proc.stdout.readline), timeout)
    assert line, f"flow watch ended early: {proc.stderr.read() if proc.stderr else ''}"
    return line


def finish(proc: subprocess.Popen[str]) -> tuple[str, str]:
    """The rest of the output once the process exits by itself (killed if it hangs)."""
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return out, err


async def test_flow_watch_prints_each_applied_value(agent: Agent, tmp_path: Path) -> None:
    (tmp_path / "models.py").write_text(MODEL)
    key = new_key("cli")
    await agent.put(key, json.dumps({"name": "search", "enabled": False}).encode())
    proc = start_watch(tmp_path, agent.uri(key), "--model", "models:Feature", "--count", "2")
    try:
        first = json.loads(await read_line(proc))
        assert first == {"event": "applied", "value": {"name": "search", "enabled": False}}
        health = json.loads(await read_line(proc))
        assert (health["event"], health["health"]) == ("health", "healthy")
        await agent.put(key, json.dumps({"name": "search", "enabled": True}).encode())
        out, err = finish(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in out.splitlines()]
    assert {"event": "applied", "value": {"name": "search", "enabled": True}} in events


def test_flow_watch_reports_a_refused_token_without_showing_it(
    auth_agent: Agent, tmp_path: Path
) -> None:
    wrong = ACL_TOKEN + "-but-wrong"
    proc = start_watch(tmp_path, auth_agent.uri(new_key("cli"), token=wrong))
    out, err = finish(proc)
    assert proc.returncode == 1
    error = json.loads(out.splitlines()[-1])
    assert error["event"] == "error"
    assert "refused the ACL token" in error["error"]
    assert wrong not in out + err
