"""Passwords and ACL users, on a redis-server started with --requirepass and two ACL users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aredis
from flow.errors import SourceAuthError, SourceError
from flow.live.capacitor import Capacitor
from flow.testing.auth import follows, refusal

from .conftest import (
    ALICE_PASSWORD,
    BOB_PASSWORD,
    CAROL_PASSWORD,
    DEFAULT_PASSWORD,
    RedisServer,
    new_key,
)

DEADLINE = 10.0
ENV = ("REDIS_USERNAME", "REDIS_PASSWORD", "REDISCLI_AUTH")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
async def admin(auth_server: RedisServer) -> AsyncIterator[aredis.Redis]:
    client = auth_server.client()
    try:
        yield client
    finally:
        await client.aclose()


async def sees_changes(uri: str, admin: aredis.Redis, key: str) -> None:
    """Watching ``uri`` yields the value and then a change written by ``admin``."""
    await follows(uri, b"first", lambda: admin.set(key, b"second"), b"second",
                  timeout=DEADLINE, allowed=())  # fmt: skip


async def refused(uri: str, *secrets: str) -> SourceError:
    """The SourceError raised for ``uri``; checks that no secret appears anywhere in it."""
    error = await refusal(uri, SourceError, timeout=DEADLINE, secrets=secrets)
    assert "redis://" in str(error)
    return error


async def test_default_user_password_in_uri(auth_server: RedisServer, admin: aredis.Redis) -> None:
    key = new_key("auth-uri")
    await admin.set(key, b"first")
    await sees_changes(auth_server.uri(key, userinfo=f":{DEFAULT_PASSWORD}"), admin, key)


async def test_acl_user_in_uri(auth_server: RedisServer, admin: aredis.Redis) -> None:
    key = new_key("auth-acl")
    await admin.set(key, b"first")
    await sees_changes(auth_server.uri(key, userinfo=f"alice:{ALICE_PASSWORD}"), admin, key)


async def test_acl_user_without_config_permission_still_watches(
    auth_server: RedisServer, admin: aredis.Redis
) -> None:
    key = new_key("auth-no-config")
    await admin.set(key, b"first")
    await sees_changes(auth_server.uri(key, userinfo=f"carol:{CAROL_PASSWORD}"), admin, key)


async def test_password_from_environment(
    auth_server: RedisServer, admin: aredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key("auth-env")
    await admin.set(key, b"first")
    monkeypatch.setenv("REDIS_PASSWORD", DEFAULT_PASSWORD)
    await sees_changes(auth_server.uri(key), admin, key)


async def test_acl_user_from_environment(
    auth_server: RedisServer, admin: aredis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = new_key("auth-env-acl")
    await admin.set(key, b"first")
    monkeypatch.setenv("REDIS_USERNAME", "alice")
    monkeypatch.setenv("REDIS_PASSWORD", ALICE_PASSWORD)
    await sees_changes(auth_server.uri(key), admin, key)


async def test_wrong_password_in_uri_is_refused_without_showing_it(
    auth_server: RedisServer,
) -> None:
    wrong = "wrong-password-5150"
    error = await refused(auth_server.uri(new_key("k"), userinfo=f":{wrong}"), wrong)
    assert isinstance(error, SourceAuthError)
    assert "refused the credentials" in str(error)
    assert ":***@" in str(error)


async def test_wrong_acl_password_is_refused(auth_server: RedisServer) -> None:
    wrong = "not-alices-password-77"
    error = await refused(auth_server.uri(new_key("k"), userinfo=f"alice:{wrong}"), wrong)
    assert isinstance(error, SourceAuthError)


async def test_wrong_password_from_environment_is_refused_without_showing_it(
    auth_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "wrong-env-password-2024"
    monkeypatch.setenv("REDIS_PASSWORD", wrong)
    error = await refused(auth_server.uri(new_key("k")), wrong)
    assert isinstance(error, SourceAuthError)
    assert "REDIS_PASSWORD" in str(error)  # says where the credentials can come from


async def test_missing_password_is_refused(auth_server: RedisServer) -> None:
    error = await refused(auth_server.uri(new_key("k")))
    assert isinstance(error, SourceAuthError)


async def test_user_without_channel_permission_is_told_what_to_grant(
    auth_server: RedisServer,
) -> None:
    key = new_key("no-channels")
    error = await refused(auth_server.uri(key, userinfo=f"bob:{BOB_PASSWORD}"), BOB_PASSWORD)
    assert isinstance(error, SourceAuthError)
    assert f"&__keyspace@0__:{key}" in str(error)


async def test_capacitor_start_raises_the_auth_error(auth_server: RedisServer) -> None:
    wrong = "capacitor-wrong-pw-31"
    cap: Capacitor[object] = Capacitor(auth_server.uri(new_key("k"), userinfo=f":{wrong}"))
    with pytest.raises(SourceAuthError) as raised:
        await cap.start()
    assert wrong not in str(raised.value)
    assert not cap.running
