"""`flow watch firestore://…` end to end, as a subprocess against the real emulator."""

from __future__ import annotations

from pathlib import Path

from flow.testing.cli import FlowWatch

from .conftest import Emulator, new_doc

MODEL = "import pydantic\n\nclass App(pydantic.BaseModel):\n    name: str\n    port: int\n"


async def test_flow_watch_prints_each_applied_value(emulator: Emulator, tmp_path: Path) -> None:
    doc = new_doc("cli")
    await emulator.set(doc, {"name": "app", "port": 80})
    options = ("--model", "models:App", "--count", "2")
    async with FlowWatch(
        emulator.uri(doc), *options, cwd=tmp_path, models=MODEL, deadline=60.0
    ) as watch:
        first = await watch.next_event()
        assert first == {"event": "applied", "value": {"name": "app", "port": 80}}
        await emulator.set(doc, {"name": "app", "port": 81})
        rest, errors = await watch.finish()
    assert watch.returncode == 0, errors
    applied = [e["value"] for e in rest if e["event"] == "applied"]
    assert applied == [{"name": "app", "port": 81}]
