"""Bad input never crashes a capacitor: random bytes keep the last good value."""

from __future__ import annotations

import asyncio

import pytest
from flow import FakeClock
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing import ChannelWatcher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import AppConfig, doc

GOOD = AppConfig(name="good", port=1)


@pytest.mark.parametrize("codec", ["json", "yaml", "toml"])
def test_random_bytes_never_replace_the_last_good_value(codec: str) -> None:
    examples = 10_000 if codec == "json" else 2_000
    with asyncio.Runner() as runner:
        channel = ChannelWatcher(
            doc(name="good", port=1) if codec != "toml" else b'name = "good"\nport = 1\n'
        )
        cap = Capacitor(channel, model=AppConfig, codec=codec, sync=True, clock=FakeClock())
        runner.run(cap.start())
        assert runner.run(cap.process())
        assert cap.current == GOOD

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(st.binary(max_size=256) | st.text(max_size=128).map(str.encode))
        def throw(data: bytes) -> None:
            before = cap.counters.processed
            channel.push(data)
            runner.run(cap.process())
            current = cap.current
            assert current is not None
            if current != GOOD:  # random bytes happened to be a valid config: accept, reset
                channel.push(
                    doc(name="good", port=1) if codec != "toml" else b'name = "good"\nport = 1\n'
                )
                runner.run(cap.process())
                return
            if cap.counters.processed > before:
                assert cap.health in (Health.HEALTHY, Health.DEGRADED)
                if cap.health is Health.DEGRADED:
                    assert cap.errors[-1].stage in ("decode", "validate")

        throw()
        assert cap.counters.decode_failed + cap.counters.validation_failed > examples // 2
        runner.run(cap.aclose())
