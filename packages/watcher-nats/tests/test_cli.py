"""``flow watch nats://…`` end to end: a real server, the CLI as a subprocess."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from .conftest import TOKEN, Admin, NatsServer

DEADLINE = 30.0


async def next_applied(stdout: asyncio.StreamReader) -> Any:
    """The value of the next ``applied`` line (health lines are skipped)."""
    while True:
        try:
            line = await asyncio.wait_for(stdout.readline(), DEADLINE)
        except TimeoutError:
            raise AssertionError(f"`flow watch` printed nothing within {DEADLINE}s") from None
        assert line, "`flow watch` ended its output early"
        event: dict[str, Any] = json.loads(line)
        if event["event"] == "applied":
            return event["value"]
        assert event["event"] == "health", event


async def test_flow_watch_prints_each_applied_value(
    token_server: NatsServer, tmp_path: Path
) -> None:
    key = f"cli-{uuid.uuid4().hex[:12]}.json"
    async with Admin(token_server, token=TOKEN) as admin:
        await admin.put(key, b'{"port": 80}')
        uri = token_server.uri(key, userinfo=TOKEN)
        proc = await asyncio.create_subprocess_exec(
            *[sys.executable, "-m", "flow", "watch", uri, "--json", "--count", "2"],
            cwd=tmp_path,
            env={**os.environ, "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            assert proc.stdout is not None
            assert proc.stderr is not None
            assert await next_applied(proc.stdout) == {"port": 80}
            await admin.put(key, b'{"port": 81}')
            assert await next_applied(proc.stdout) == {"port": 81}
            assert await asyncio.wait_for(proc.wait(), DEADLINE) == 0
            assert TOKEN.encode() not in await proc.stderr.read()
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()


def test_flow_watch_with_a_wrong_token_fails_without_showing_it(
    token_server: NatsServer, tmp_path: Path
) -> None:
    uri = token_server.uri("cli-key", userinfo="wrong-cli-token-3c4d")
    result = subprocess.run(
        [sys.executable, "-m", "flow", "watch", uri, "--json"],
        cwd=tmp_path,
        env={**os.environ, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 1, result
    assert "wrong-cli-token-3c4d" not in result.stdout + result.stderr
    assert "refused the credentials" in result.stdout + result.stderr
