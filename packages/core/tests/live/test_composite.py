"""Composite: merged sources, per-source errors, validation of the merged value."""

from __future__ import annotations

import asyncio

import pydantic
import pytest
from flow.events import EventBus
from flow.live.composite import Composite, deep_merge
from flow.live.health import Health
from flow.testing import ChannelWatcher


class Settings(pydantic.BaseModel):
    host: str
    port: int
    features: dict[str, bool] = {}


def test_deep_merge_later_layers_win_and_merge_nested_mappings() -> None:
    merged = deep_merge(
        [{"a": 1, "n": {"x": 1, "y": 1}}, {"n": {"y": 2, "z": 3}}, {"a": [1], "n": {"x": None}}]
    )
    assert merged == {"a": [1], "n": {"x": None, "y": 2, "z": 3}}
    assert deep_merge([]) == {}
    assert deep_merge([{"a": 1}, 5]) == 5


async def test_sources_merge_in_order_and_validate() -> None:
    defaults = ChannelWatcher(b'{"host": "localhost", "port": 80, "features": {"a": true}}')
    override = ChannelWatcher(b'{"port": 8080, "features": {"b": false}}')
    async with Composite([defaults, override], model=Settings) as comp:
        assert comp.current == Settings(
            host="localhost", port=8080, features={"a": True, "b": False}
        )
        assert comp.health is Health.HEALTHY


async def test_first_merge_waits_for_every_source() -> None:
    applied: list[Settings] = []
    defaults = ChannelWatcher(b'{"host": "h", "port": 1}')
    remote = ChannelWatcher(initial=...)
    events = EventBus()
    received = asyncio.Event()
    events.subscribe("capacitor.change_received", lambda e: received.set())
    comp = Composite(
        [defaults, remote], model=Settings, on_change=lambda p, c: applied.append(c), events=events
    )
    starting = asyncio.create_task(comp.start())
    await asyncio.wait_for(received.wait(), 5)  # the defaults arrived; remote has not
    assert applied == []
    assert comp.health is Health.LOADING
    remote.push(b'{"port": 2}')
    await starting
    assert applied == [Settings(host="h", port=2)]
    await comp.aclose()


async def test_an_absent_source_contributes_nothing() -> None:
    defaults = ChannelWatcher(b'{"host": "h", "port": 1}')
    missing = ChannelWatcher(None)
    async with Composite([defaults, missing], model=Settings) as comp:
        assert comp.current == Settings(host="h", port=1)
        assert comp.health is Health.HEALTHY
        missing.push(b'{"port": 5}')
        await comp.wait_for(lambda c: c.current is not None and c.current.port == 5)
        missing.delete()
        await comp.wait_for(lambda c: c.current is not None and c.current.port == 1)


async def test_every_failing_source_is_reported_and_the_others_still_apply() -> None:
    a = ChannelWatcher(b'{"host": "h", "port": 1}')
    b = ChannelWatcher(b'{"port": 2}')
    c = ChannelWatcher(b'{"features": {"x": true}}')
    async with Composite([a, b, c], model=Settings, codecs=["json", "json", "json"]) as comp:
        b.push(b"{broken")
        c.push(b"also: [broken")
        await comp.wait_for(lambda x: len(x.source_errors) == 2)
        assert sorted(comp.source_errors) == ["ChannelWatcher#2", "ChannelWatcher#3"]
        assert comp.health is Health.DEGRADED
        assert comp.current == Settings(host="h", port=2, features={"x": True})
        a.push(b'{"host": "new", "port": 1}')
        await comp.wait_for(lambda x: x.current is not None and x.current.host == "new")
        # b keeps its last good value in the merge while it is broken
        assert comp.current is not None
        assert comp.current.port == 2
        assert comp.health is Health.DEGRADED
        b.push(b'{"port": 3}')
        c.push(b'{"features": {}}')
        await comp.wait_for(lambda x: not x.source_errors)
        assert comp.health is Health.HEALTHY
        assert comp.current == Settings(host="new", port=3, features={})
        assert sorted(comp.source_errors) == []


async def test_merged_value_that_fails_validation_rolls_back() -> None:
    a = ChannelWatcher(b'{"host": "h", "port": 1}')
    b = ChannelWatcher(b"{}")
    async with Composite([a, b], model=Settings) as comp:
        b.push(b'{"port": "not a number"}')
        await comp.wait_for(lambda x: x.health is Health.DEGRADED)
        assert comp.current == Settings(host="h", port=1)
        assert comp.errors[-1].stage == "validate"


def test_composite_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="at least one"):
        Composite([])
    with pytest.raises(ValueError, match="codecs"):
        Composite([ChannelWatcher(b"{}")], codecs=["json", "yaml"])
