"""20 restarts of the real emulator under a live Capacitor, with a write after each."""

from __future__ import annotations

import pydantic
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import LeakCheck

from .conftest import Emulator, new_doc

RESTARTS = 20


class Counter(pydantic.BaseModel):
    n: int
    label: str


async def test_twenty_restarts_end_on_the_last_write(emulator: Emulator) -> None:
    doc = new_doc("faults")
    await emulator.set(doc, {"n": -1, "label": "start"})
    check = LeakCheck(tasks=True, sockets=True)
    # resync=2: an emulator restarted under its listeners sometimes answers a new listen once
    # (the document absent) and then never again; resync is the watcher's own cure for a
    # stream that went silent (the default, 300 s, would outlast the test's 60 s wait).
    uri = emulator.uri(doc, "resync=2")
    cap: Capacitor[Counter] = Capacitor(uri, model=Counter, startup_timeout=30.0)
    async with cap:
        assert cap.current == Counter(n=-1, label="start")
        for i in range(RESTARTS):
            await emulator.stop()
            await emulator.start()  # the emulator comes back empty: the write below recreates it
            await emulator.set(doc, {"n": i, "label": f"after restart {i}"})
            await cap.wait_for(
                lambda c, i=i: c.current is not None and c.current.n == i, timeout=60
            )
        assert cap.current == Counter(n=RESTARTS - 1, label=f"after restart {RESTARTS - 1}")
        assert cap.health is Health.HEALTHY
    emulator.close_writer()
    await check.assert_clean(timeout=10.0)
