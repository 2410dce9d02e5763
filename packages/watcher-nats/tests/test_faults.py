"""Fault test: 20 restarts of a real nats-server under a live Capacitor, with writes between."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pydantic
import pytest
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import LeakCheck

from .conftest import Admin, NatsServer, arunning

RESTARTS = 20


class Setting(pydantic.BaseModel):
    cycle: int
    name: str


def payload(cycle: int) -> bytes:
    return json.dumps({"cycle": cycle, "name": f"cycle-{cycle}"}).encode()


def reached(cycle: int) -> Callable[[Capacitor[Setting]], bool]:
    def predicate(cap: Capacitor[Setting]) -> bool:
        return cap.current is not None and cap.current.cycle == cycle

    return predicate


@pytest.fixture
def server(tmp_path: Path) -> Iterator[NatsServer]:
    # A server of its own: the other tests' connections need not live through 20 restarts.
    server = NatsServer(tmp_path)
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.slow
async def test_twenty_restarts_end_on_the_last_write_healthy_and_clean(
    server: NatsServer,
) -> None:
    key = f"fault-{uuid.uuid4().hex[:12]}.json"
    applied: list[int] = []
    async with arunning(server):
        check = LeakCheck(tasks=True)
        async with Admin(server) as admin:
            await admin.put(key, payload(0))
            cap: Capacitor[Setting] = Capacitor(
                server.uri(key),
                model=Setting,
                on_change=lambda previous, current: applied.append(current.cycle),
            )
            async with cap:
                assert cap.current == Setting(cycle=0, name="cycle-0")
                for cycle in range(1, RESTARTS + 1):
                    await server.astop()
                    await server.astart()
                    # Two writes per cycle: the watcher must end on the second, never the first.
                    await admin.put(key, b'{"cycle": -1, "name": "superseded"}')
                    await admin.put(key, payload(cycle))
                    await cap.wait_for(reached(cycle), timeout=15.0)
                    assert cap.health is Health.HEALTHY, cap.errors
                assert cap.current == Setting(cycle=RESTARTS, name=f"cycle-{RESTARTS}")
                assert cap.health is Health.HEALTHY
        await check.assert_clean(timeout=5.0)
    # Every cycle's value was applied, in order (the superseded writes may show up too).
    assert [n for n in applied if n >= 0] == list(range(RESTARTS + 1))
