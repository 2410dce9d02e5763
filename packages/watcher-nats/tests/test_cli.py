"""``flow watch nats://…`` end to end: a real server, the CLI as a subprocess."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from flow.testing.cli import FlowWatch

from .conftest import TOKEN, Admin, NatsServer


async def test_flow_watch_prints_each_applied_value(
    token_server: NatsServer, tmp_path: Path
) -> None:
    key = f"cli-{uuid.uuid4().hex[:12]}.json"
    async with Admin(token_server, token=TOKEN) as admin:
        await admin.put(key, b'{"port": 80}')
        uri = token_server.uri(key, userinfo=TOKEN)
        async with FlowWatch(uri, "--count", "2", cwd=tmp_path) as watch:
            assert await watch.next_applied() == {"port": 80}
            await admin.put(key, b'{"port": 81}')
            assert await watch.next_applied() == {"port": 81}
            _rest, err = await watch.finish()
        assert watch.returncode == 0
        assert TOKEN not in err


async def test_flow_watch_with_a_wrong_token_fails_without_showing_it(
    token_server: NatsServer, tmp_path: Path
) -> None:
    uri = token_server.uri("cli-key", userinfo="wrong-cli-token-3c4d")
    async with FlowWatch(uri, cwd=tmp_path) as watch:
        events, err = await watch.finish()
    assert watch.returncode == 1, (events, err)
    output = json.dumps(events) + err
    assert "wrong-cli-token-3c4d" not in output
    assert "refused the credentials" in output
