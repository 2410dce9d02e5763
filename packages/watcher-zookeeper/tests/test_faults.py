"""Fault test: 20 restarts of the real ZooKeeper under a live Capacitor, with writes between."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

import pydantic
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import LeakCheck
from flow_watcher_zookeeper.testing import ZNodeSource

RESTARTS = 20
DEADLINE = 30.0


class Settings(pydantic.BaseModel):
    generation: int
    note: str


def reached(generation: int) -> Callable[[Capacitor[Settings]], bool]:
    return lambda cap: cap.current is not None and cap.current.generation == generation


def encoded(generation: int) -> bytes:
    return json.dumps({"generation": generation, "note": f"written {generation}"}).encode()


async def test_twenty_restarts_end_on_the_last_value_healthy_and_clean(
    znodes: ZNodeSource,
) -> None:
    key = f"flow-fault-{uuid.uuid4().hex[:12]}"
    await znodes.write(key, encoded(0))
    check = LeakCheck(tasks=True)
    applied: list[int] = []
    cap: Capacitor[Settings] = Capacitor(
        znodes.uri(key),
        model=Settings,
        on_change=lambda _old, new: applied.append(new.generation),
        startup_timeout=DEADLINE,
    )
    last = 0
    async with cap:
        assert cap.current is not None
        assert cap.current.generation == 0
        for _ in range(RESTARTS):
            last += 1
            await znodes.write(key, encoded(last))  # may or may not be seen before the stop
            await znodes.stop()
            await znodes.start()
            last += 1
            await znodes.write(key, encoded(last))  # written once the server is back
            await cap.wait_for(reached(last), timeout=DEADLINE)
        assert cap.current is not None
        assert cap.current.generation == last
        assert cap.health is Health.HEALTHY
        assert applied == sorted(applied), (
            f"an older value was applied after a newer one: {applied}"
        )
        assert applied[-1] == last
    await check.assert_clean(timeout=10.0)
