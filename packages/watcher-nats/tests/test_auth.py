"""Credentials from the URI or NATS_* environment variables, against servers that require them."""

from __future__ import annotations

import uuid

import pytest
from flow.errors import SourceAuthError
from flow.testing.auth import follows, refusal

from .conftest import PASSWORD, TOKEN, USER, Admin, NatsServer


def new_key() -> str:
    return f"auth-{uuid.uuid4().hex[:12]}"


async def assert_watch_works(server: NatsServer, uri: str, **credentials: str) -> None:
    key = uri.rsplit("/", 1)[1]
    async with Admin(server, **credentials) as admin:
        await admin.put(key, b"one")
        await follows(uri, b"one", lambda: admin.put(key, b"two"), b"two", timeout=5.0)


async def refused(uri: str) -> SourceAuthError:
    return await refusal(uri)


async def test_token_in_the_uri(token_server: NatsServer) -> None:
    uri = token_server.uri(new_key(), userinfo=TOKEN)
    await assert_watch_works(token_server, uri, token=TOKEN)


async def test_token_from_nats_token(
    token_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_TOKEN", TOKEN)
    await assert_watch_works(token_server, token_server.uri(new_key()), token=TOKEN)


async def test_user_and_password_in_the_uri(user_server: NatsServer) -> None:
    uri = user_server.uri(new_key(), userinfo=f"{USER}:{PASSWORD}")
    await assert_watch_works(user_server, uri, user=USER, password=PASSWORD)


async def test_user_and_password_from_nats_user_and_nats_password(
    user_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_USER", USER)
    monkeypatch.setenv("NATS_PASSWORD", PASSWORD)
    await assert_watch_works(user_server, user_server.uri(new_key()), user=USER, password=PASSWORD)


async def test_wrong_token_is_refused_without_showing_it(token_server: NatsServer) -> None:
    error = await refused(token_server.uri("k", userinfo="wrong-token-5e6f"))
    message = str(error)
    assert "wrong-token-5e6f" not in message
    assert token_server.address in message
    assert "refused the credentials" in message
    assert "NATS_TOKEN" in message  # says how to fix it


async def test_wrong_password_is_refused_without_showing_it(user_server: NatsServer) -> None:
    error = await refused(user_server.uri("k", userinfo=f"{USER}:wrong-pass-0a9b"))
    assert "wrong-pass-0a9b" not in str(error)
    assert f"{USER}:***@" in str(error)  # the source is named, its password masked
    chain = [error.__cause__, error.__context__]
    assert all(link is None or "wrong-pass-0a9b" not in repr(link) for link in chain)


async def test_wrong_password_from_the_environment_is_refused(
    user_server: NatsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NATS_USER", USER)
    monkeypatch.setenv("NATS_PASSWORD", "env-wrong-pass-77")
    error = await refused(user_server.uri("k"))
    assert "env-wrong-pass-77" not in str(error)


async def test_missing_credentials_are_refused(user_server: NatsServer) -> None:
    await refused(user_server.uri("k"))
