"""Digest authentication: ACL'd znodes read with the URI's credentials; refusals are clear.

ZooKeeper's digest scheme accepts any user:password at connect time and checks
it against each node's ACL, so one server serves these tests: the nodes carry
an ACL that lets only the admin client's identity (``znodes.credentials``) in.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from flow.errors import SourceAuthError
from flow.live.capacitor import Capacitor
from flow.live.health import Health
from flow.testing.auth import follows, refusal
from flow_watcher_zookeeper.testing import ZNodeSource, put

DEADLINE = 20.0
WRONG = "not-the-Passw0rd"


def user(znodes: ZNodeSource) -> str:
    assert znodes.credentials is not None
    return znodes.credentials[0]


def guarded_uri(znodes: ZNodeSource, path: str, password: str | None) -> str:
    """``password=None``: no credentials at all."""
    return znodes.uri_of(path, f"{user(znodes)}:{password}@" if password is not None else "")


@pytest.fixture
def guarded(znodes: ZNodeSource) -> str:
    """A fresh znode path with a value only the admin's identity may read."""
    path = znodes.path(f"guarded-{uuid.uuid4().hex[:12]}")
    put(znodes.admin, path, b"for-readers-only", acl=znodes.acl())
    return path


def password(znodes: ZNodeSource) -> str:
    assert znodes.credentials is not None
    return znodes.credentials[1]


async def refused(uri: str) -> SourceAuthError:
    return await refusal(uri, timeout=DEADLINE)


async def test_credentials_from_the_uri_read_and_watch(znodes: ZNodeSource, guarded: str) -> None:
    await follows(
        guarded_uri(znodes, guarded, password(znodes)),
        b"for-readers-only",
        lambda: asyncio.to_thread(put, znodes.admin, guarded, b"changed"),
        b"changed",
        timeout=DEADLINE,
    )


async def test_wrong_password_is_refused_without_showing_it(
    znodes: ZNodeSource, guarded: str
) -> None:
    error = await refused(guarded_uri(znodes, guarded, WRONG))
    text = str(error)
    assert WRONG not in text
    assert WRONG not in repr(error)
    assert f"zk://{user(znodes)}:***@" in text  # names the source, redacted
    assert guarded in text  # and the node
    assert "zk://USER:PASSWORD@" in text  # and the fix


async def test_missing_credentials_are_refused(znodes: ZNodeSource, guarded: str) -> None:
    error = await refused(guarded_uri(znodes, guarded, None))
    assert "unauthenticated" in str(error)


async def test_a_guarded_node_created_later_is_seen_with_credentials(
    znodes: ZNodeSource,
) -> None:
    # (Without READ permission the creation would go unseen: ZooKeeper does not send
    # watch events for nodes the session may not read; see the README.)
    path = znodes.path(f"guarded-later-{uuid.uuid4().hex[:12]}")
    await follows(
        guarded_uri(znodes, path, password(znodes)),
        None,
        lambda: asyncio.to_thread(put, znodes.admin, path, b"guarded", znodes.acl()),
        b"guarded",
        timeout=DEADLINE,
    )


async def test_capacitor_with_wrong_password_is_empty_with_a_clear_error(
    znodes: ZNodeSource, guarded: str
) -> None:
    uri = guarded_uri(znodes, guarded, WRONG)
    cap: Capacitor[object] = Capacitor(uri, codec="text", startup_timeout=DEADLINE)
    error: SourceAuthError | None = None
    try:
        await cap.start()
    except SourceAuthError as exc:  # either way the error is clear and has no password
        error = exc
    finally:
        await cap.aclose()
    if error is not None:
        assert WRONG not in str(error)
    else:
        assert cap.health is Health.EMPTY
        assert cap.errors
        assert WRONG not in cap.errors[-1].message
        assert "ACL" in cap.errors[-1].message
