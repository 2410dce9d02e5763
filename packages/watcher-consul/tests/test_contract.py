"""flow-watcher-consul against the watcher contract (flow.testing.WatcherContract)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from flow.testing import WatcherContract
from flow.testing.watcher_contract import WatcherSource

from .conftest import ACL_TOKEN, Agent


class ConsulSource:
    """Keys of one agent, written over its HTTP API like any Consul client does."""

    restartable = True
    writes_while_down = False  # nothing can be written while the agent is down

    def __init__(self, agent: Agent, auth_agent: Agent) -> None:
        self.agent = agent
        self.auth_agent = auth_agent

    def uri(self, key: str) -> str:
        return self.agent.uri(key)

    async def write(self, key: str, value: bytes) -> None:
        await self.agent.put(key, value)

    async def delete(self, key: str) -> None:
        await self.agent.delete(key)

    async def stop(self) -> None:
        await self.agent.stop()

    async def start(self) -> None:
        await self.agent.start()


class TestConsulWatcherContract(WatcherContract):
    @pytest.fixture
    def watcher_source(self, agent: Agent, auth_agent: Agent) -> WatcherSource:
        return ConsulSource(agent, auth_agent)

    def bad_uris(self, source: WatcherSource) -> Sequence[str]:
        assert isinstance(source, ConsulSource)
        agent, auth = source.agent, source.auth_agent
        wrong = ACL_TOKEN + "-but-wrong"
        return [
            agent.uri("k", bogus="1"),  # unknown option
            f"consul://{agent.uri('')[len('consul://') :]}",  # no key
            agent.uri("k", wait="forever"),  # not a duration
            agent.uri("k", wait="11m"),  # over Consul's 10 minute cap
            agent.uri("k", scheme="gopher"),
            agent.uri("k", token=""),
            f"consul://user:secret-password@127.0.0.1:{agent.port}/k",  # userinfo is not used
            agent.uri("k", dc="no-such-dc"),  # refused by the agent: No path to datacenter
            auth.uri("k", token=wrong),  # refused by the agent: 403
            auth.uri("k"),  # no token at all: 403
        ]
