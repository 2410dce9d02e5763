"""Authentication against a real etcd with auth enabled (users from conftest)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from flow.errors import SourceAuthError
from flow.testing.auth import follows, refusal

Users = dict[str, tuple[str, str]]
TIMEOUT = 10.0
#: Alice may read keys under this prefix (the auth server's setup in conftest).
READABLE_PREFIX = "/flow/"


def fresh_key() -> str:
    return f"{READABLE_PREFIX}auth-{uuid.uuid4().hex[:12]}"


async def first_error(uri: str) -> SourceAuthError:
    """What the watcher raises for ``uri`` (fails when it yields a value instead)."""
    return await refusal(uri, timeout=TIMEOUT)


async def test_user_and_password_from_the_uri(
    etcd_auth_server: Any, root_writer: Any, users: Users
) -> None:
    alice = users["alice"]
    key = fresh_key()
    await root_writer.put(key, b"v1")
    uri = etcd_auth_server.uri(key, userinfo=":".join(alice))
    await follows(uri, b"v1", lambda: root_writer.put(key, b"v2"), b"v2", timeout=TIMEOUT)


async def test_user_and_password_from_the_environment(
    etcd_auth_server: Any, root_writer: Any, monkeypatch: pytest.MonkeyPatch, users: Users
) -> None:
    alice = users["alice"]
    monkeypatch.setenv("ETCD_USERNAME", alice[0])
    monkeypatch.setenv("ETCD_PASSWORD", alice[1])
    key = fresh_key()
    await root_writer.put(key, b"from-env")
    uri = etcd_auth_server.uri(key)
    await follows(uri, b"from-env", lambda: root_writer.delete(key), None, timeout=TIMEOUT)


async def test_wrong_password_is_refused_without_showing_it(
    etcd_auth_server: Any, users: Users
) -> None:
    alice = users["alice"]
    password = "not-alices-password"
    uri = etcd_auth_server.uri(fresh_key(), userinfo=f"{alice[0]}:{password}")
    error = await first_error(uri)
    text = str(error)
    assert password not in text
    assert password not in repr(error)
    assert error.__cause__ is None
    assert "refused the credentials of user 'alice'" in text
    assert f"etcd://alice:***@127.0.0.1:{etcd_auth_server.port}" in text


async def test_wrong_password_from_the_environment_is_refused(
    etcd_auth_server: Any, monkeypatch: pytest.MonkeyPatch, users: Users
) -> None:
    alice = users["alice"]
    monkeypatch.setenv("ETCD_USERNAME", alice[0])
    monkeypatch.setenv("ETCD_PASSWORD", "env-wrong-password")
    error = await first_error(etcd_auth_server.uri(fresh_key()))
    assert "env-wrong-password" not in str(error)
    assert "ETCD_USERNAME/ETCD_PASSWORD" in str(error)


async def test_missing_credentials_say_how_to_give_them(etcd_auth_server: Any) -> None:
    error = await first_error(etcd_auth_server.uri(fresh_key()))
    assert "authentication enabled and no credentials" in str(error)


async def test_a_user_without_read_permission_is_denied(
    etcd_auth_server: Any, users: Users
) -> None:
    bob = users["bob"]
    error = await first_error(etcd_auth_server.uri(fresh_key(), userinfo=":".join(bob)))
    assert "denied user 'bob' read access" in str(error)
    assert bob[1] not in str(error)


async def test_credentials_for_a_server_without_auth_are_refused(etcd_server: Any) -> None:
    error = await first_error(etcd_server.uri("/k", userinfo="ann:unused-password"))
    assert "authentication disabled" in str(error)
    assert "unused-password" not in str(error)
