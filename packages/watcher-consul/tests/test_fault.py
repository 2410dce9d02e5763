"""Fault test: 20 real restarts of the agent under a live Capacitor, with writes between."""

from __future__ import annotations

import json
from collections.abc import Callable

import pydantic
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import LeakCheck

from .conftest import Agent, new_key

RESTARTS = 20
DEADLINE = 20.0


class Settings(pydantic.BaseModel):
    generation: int


def reached(generation: int) -> Callable[[Capacitor[Settings]], bool]:
    """A wait_for predicate: the capacitor holds ``generation``."""
    return lambda cap: cap.current is not None and cap.current.generation == generation


def encode(generation: int) -> bytes:
    return json.dumps({"generation": generation}).encode()


async def test_twenty_restarts_end_on_the_last_write(agent: Agent) -> None:
    key = new_key("fault")
    applied: list[int] = []
    check = LeakCheck(sockets=True)
    await agent.put(key, encode(0))
    cap: Capacitor[Settings] = Capacitor(
        agent.uri(key), model=Settings, on_change=lambda _old, new: applied.append(new.generation)
    )
    async with cap:
        for generation in range(1, RESTARTS + 1):
            await agent.stop()
            await agent.start()  # the in-repo server keeps its data; a dev agent comes back empty
            # This write may land before or after the watcher has reconnected; either way
            # it must end up applied.
            await agent.put(key, encode(generation))
            await cap.wait_for(reached(generation), timeout=DEADLINE)
        last = RESTARTS + 1
        await agent.put(key, encode(last))
        await cap.wait_for(reached(last), timeout=DEADLINE)
        assert cap.health is Health.HEALTHY
        assert cap.current == Settings(generation=last)
        assert applied[-1] == last
        assert applied == sorted(applied), "a stale value was applied after a newer one"
    await check.assert_clean(timeout=5.0)
