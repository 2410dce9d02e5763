"""Fault test: 20 restarts of a real etcd under a live Capacitor, with writes in between."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import pydantic
import pytest
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import LeakCheck

RESTARTS = 20
KEY = "/fault/app.json"
# grpc's asyncio poller: one per process, started by the first channel (see test_contract).
GRPC_POLLER = r"Thread-\d+ \(_poll_wrapper\)"


class App(pydantic.BaseModel):
    generation: int
    phase: str


def document(generation: int, phase: str) -> bytes:
    return json.dumps({"generation": generation, "phase": phase}).encode()


def holds(wanted: App, cap: Capacitor[App]) -> bool:
    return cap.current == wanted


@pytest.mark.slow
async def test_twenty_restarts_end_on_the_last_value_healthy_and_clean(
    own_etcd: Any,
) -> None:
    writer = own_etcd
    await writer.put(KEY, document(0, "start"))
    check = LeakCheck(tasks=True, sockets=True, ignore_threads=[GRPC_POLLER])
    cap: Capacitor[App] = Capacitor(writer.server.uri(KEY), model=App, startup_timeout=10)
    async with cap:
        for generation in range(1, RESTARTS + 1):
            await writer.put(KEY, document(generation, "before-restart"))
            await writer.stop()
            await writer.start()
            await writer.put(KEY, document(generation, "after-restart"))
            wanted = App(generation=generation, phase="after-restart")
            await cap.wait_for(partial(holds, wanted), timeout=20)
        assert cap.current == App(generation=RESTARTS, phase="after-restart")
        assert cap.health is Health.HEALTHY
        assert cap.errors == []  # the watcher rode out every restart by itself
    await writer.close()  # the test's own connection is not the watcher's to close
    await check.assert_clean(timeout=5)
