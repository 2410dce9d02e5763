"""Auth tests for watcher providers: right credentials work, wrong ones are refused clearly.

Each provider shows (DESIGN §4, contract point 4) that credentials from the
URI or the client's usual environment variables work, and that wrong ones
raise a :class:`~flow.SourceError` (usually :class:`~flow.SourceAuthError`)
without the secret in the message::

    async def test_password_in_uri(auth_server):
        await auth_server.write("k", b"one")
        await follows(auth_server.uri("k", password=PW), b"one",
                      lambda: auth_server.write("k", b"two"), b"two")

    async def test_wrong_password(auth_server):
        error = await refusal(auth_server.uri("k", password="wrong-pw-1"), secrets=["wrong-pw-1"])
        assert "refused the credentials" in str(error)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar, overload

import pytest

from ..errors import SourceAuthError, SourceError
from ..live.watcher import open_watcher
from .watcher_contract import Allowed, Watch, _error_chain

__all__ = ["follows", "refusal"]

E = TypeVar("E", bound=SourceError)

_FIRST: Allowed = frozenset()  # marker: "the first value only" (the default for `allowed`)


@overload
async def refusal(
    uri: str, *, timeout: float = 10.0, secrets: Sequence[str] = ()
) -> SourceAuthError: ...


@overload
async def refusal(
    uri: str, expected: type[E], *, timeout: float = 10.0, secrets: Sequence[str] = ()
) -> E: ...


async def refusal(
    uri: str,
    expected: type[SourceError] = SourceAuthError,
    *,
    timeout: float = 10.0,
    secrets: Sequence[str] = (),
) -> SourceError:
    """The ``expected`` error that watching ``uri`` raises before its first Change.

    The error may come from building the watcher or from its first step.
    Fails when the watcher yields a value instead, raises something else, or
    takes longer than ``timeout``; and when any of ``secrets`` appears in the
    error, its ``repr`` or any error it is chained to. The watcher is closed.
    """
    __tracebackhide__ = True
    with pytest.raises(expected) as raised:
        await _first_step(uri, timeout)
    for error in _error_chain(raised.value):
        for secret in secrets:
            assert secret not in f"{error!s} {error!r}", f"a secret shows in {type(error).__name__}"
    return raised.value


async def _first_step(uri: str, timeout: float) -> None:
    """Build the watcher for ``uri`` and take its first Change; close it either way."""
    async with asyncio.timeout(timeout):
        watcher = open_watcher(uri)
        try:
            await anext(aiter(watcher.changes()))
        finally:
            await watcher.aclose()


async def follows(
    uri: str,
    first: bytes | None,
    write: Callable[[], Awaitable[object]],
    then: bytes | None,
    *,
    timeout: float = 10.0,
    allowed: Allowed = _FIRST,
) -> None:
    """Watching ``uri`` yields ``first`` straight away, then ``then`` after ``write()``.

    ``allowed``: values tolerated before ``then`` (default: ``first`` only;
    ``()`` demands that the very next Change is ``then``).
    """
    __tracebackhide__ = True
    watch = Watch(uri)
    try:
        await watch.until(first, timeout, allowed=())
        await write()
        await watch.until(then, timeout, allowed={first} if allowed is _FIRST else allowed)
    finally:
        await watch.aclose()
