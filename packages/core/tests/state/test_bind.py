"""config.bind: a subtree kept live by a Capacitor; health; writes to it are refused."""

from __future__ import annotations

import pytest
from flow.errors import BoundPathError, FlowError, UnknownPathError
from flow.live.health import Health
from flow.state import ChangeEvent, Flow
from flow.testing import ChannelWatcher
from pydantic import BaseModel


class Features(BaseModel):
    beta: bool = False
    limit: int = 10


class App(BaseModel):
    name: str = "app"
    features: Features = Features()


async def test_bind_keeps_subtree_live_and_notifies() -> None:
    flow = Flow()
    watcher = ChannelWatcher(b'{"beta": true, "limit": 1}')
    seen: list[ChangeEvent] = []
    flow.on_change("features", seen.append)
    binding = await flow.abind(watcher, at="features", codec="json")
    try:
        assert flow.features.beta is True
        assert flow.features.limit == 1
        assert flow.health("features") is Health.HEALTHY
        assert flow.health("features.beta") is Health.HEALTHY
        assert flow.origin("features.limit").startswith("bind:")
        watcher.push(b'{"beta": true, "limit": 2}')
        await binding.capacitor.wait_for(lambda c: c.current == {"beta": True, "limit": 2})
        assert flow.features.limit == 2
        assert [e.path for e in seen][-1] == "features.limit"
    finally:
        await flow.aunbind("features")
    assert watcher.closed


async def test_writes_to_a_bound_subtree_are_refused_and_change_nothing() -> None:
    flow = Flow({"other": 1})
    watcher = ChannelWatcher(b'{"beta": false}')
    await flow.abind(watcher, at="features", codec="json")
    try:
        with pytest.raises(BoundPathError, match="features is owned by its source"):
            flow.features.beta = True
        with pytest.raises(BoundPathError):
            flow.update({"features": {"beta": True}, "other": 2})
        with pytest.raises(BoundPathError):
            del flow.features
        with pytest.raises(BoundPathError, match="already bound"):
            await flow.abind(ChannelWatcher(b"{}"), at="features.beta", codec="json")
        assert flow.features.beta is False
        assert flow.other == 1
        flow.other = 3  # outside the bound subtree: fine
        assert flow.other == 3
    finally:
        await flow.aunbind("features")
    flow.features.beta = True
    assert flow.features.beta is True


async def test_value_refused_by_the_flow_schema_degrades_the_binding() -> None:
    flow = Flow(schema=App)
    watcher = ChannelWatcher(b'{"beta": true, "limit": 5}')
    binding = await flow.abind(watcher, at="features", codec="json")
    try:
        assert flow.features.limit == 5
        watcher.push(b'{"beta": true, "limit": "many"}')
        await binding.capacitor.wait_for(lambda c: c.health is Health.DEGRADED)
        assert flow.features.limit == 5
        assert flow.health("features") is Health.DEGRADED
        watcher.push(b'{"beta": false, "limit": 6}')
        await binding.capacitor.wait_for(lambda c: c.health is Health.HEALTHY)
        assert flow.features.limit == 6
        assert flow.features.beta is False
    finally:
        await flow.aunbind("features")


async def test_bind_with_a_model_validates_before_the_flow_sees_it() -> None:
    flow = Flow()
    watcher = ChannelWatcher(b'{"beta": "yes"}')
    binding = await flow.abind(watcher, at="features", codec="json", model=Features)
    try:
        assert flow.features.beta is True
        assert flow.features.limit == 10
        watcher.push(b'{"limit": "x"}')
        await binding.capacitor.wait_for(lambda c: c.health is Health.DEGRADED)
        assert flow.features.limit == 10
    finally:
        await binding.aclose()


def test_health_of_unbound_path_is_a_clear_error() -> None:
    with pytest.raises(UnknownPathError, match="not bound"):
        Flow().health("x")
    with pytest.raises(UnknownPathError, match="nothing is bound"):
        Flow().unbind("x")


def test_bound_source_label_hides_credentials() -> None:
    flow = Flow()
    with pytest.raises(FlowError) as info:
        flow.bind("nosuchscheme://user:s3cret@127.0.0.1:1/x", at="a", timeout=2.0)
    assert "s3cret" not in str(info.value)
    assert "a" not in flow
    flow.a = 1  # the failed bind released its claim
