"""ACL tokens from ?token= or CONSUL_HTTP_TOKEN (sent as X-Consul-Token); refusals."""

from __future__ import annotations

import pytest
from flow.live.watcher import open_watcher
from flow.testing.auth import refusal
from flow.testing.watcher_contract import next_value

from .conftest import ACL_TOKEN, Agent, new_key

DEADLINE = 10.0


async def first_change_of(uri: str) -> bytes | None:
    watcher = open_watcher(uri)
    try:
        return (await next_value(watcher.changes(), lambda _: True, timeout=DEADLINE)).value
    finally:
        await watcher.aclose()


async def test_token_from_the_uri_is_used(auth_agent: Agent) -> None:
    key = new_key("auth-uri")
    await auth_agent.put(key, b"secret config")
    assert await first_change_of(auth_agent.uri(key, token=ACL_TOKEN)) == b"secret config"


async def test_token_from_consul_http_token_is_used(
    auth_agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key("auth-env")
    await auth_agent.put(key, b"from env")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", ACL_TOKEN)
    assert await first_change_of(auth_agent.uri(key)) == b"from env"


async def test_the_uri_token_wins_over_the_environment(
    auth_agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key("auth-both")
    await auth_agent.put(key, b"uri wins")
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", "a-stale-token-from-the-shell")
    assert await first_change_of(auth_agent.uri(key, token=ACL_TOKEN)) == b"uri wins"


async def test_a_wrong_token_is_refused_without_showing_it(auth_agent: Agent) -> None:
    wrong = "wrong-token-5c1d7e"
    error = await refusal(auth_agent.uri(new_key("auth-wrong"), token=wrong))
    text = f"{error} {error!r} {error.__cause__!r}"
    assert wrong not in text
    assert "?token=" in str(error)  # says where the refused token came from
    assert "consul://" in str(error)


async def test_a_wrong_token_from_the_environment_is_refused_without_showing_it(
    auth_agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-env-token-93ab11"
    monkeypatch.setenv("CONSUL_HTTP_TOKEN", wrong)
    error = await refusal(auth_agent.uri(new_key("auth-wrong-env")))
    assert wrong not in f"{error} {error!r}"
    assert "CONSUL_HTTP_TOKEN" in str(error)


async def test_no_token_is_refused_with_how_to_give_one(auth_agent: Agent) -> None:
    error = await refusal(auth_agent.uri(new_key("auth-none")))
    assert "no ACL token was given" in str(error)
    assert "CONSUL_HTTP_TOKEN" in str(error)
