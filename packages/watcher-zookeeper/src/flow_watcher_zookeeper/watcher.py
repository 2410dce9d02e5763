"""``ZooKeeperWatcher``: a ZooKeeper znode's data as a Flow watcher, on kazoo."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from flow.errors import SourceAuthError, SourceError
from flow.live.change import Change
from flow.live.uri import SourceURI
from flow.pipeline import backoff
from kazoo.exceptions import (  # type: ignore[import-untyped]
    AuthFailedError,
    ConnectionDropped,
    ConnectionLoss,
    KazooException,
    NoAuthError,
    OperationTimeoutError,
    RequestTimeoutError,
    SessionClosedRequireSaslError,
    SessionExpiredError,
    SessionMovedError,
    ThrottledOpError,
)

from ._address import ZkAddress
from ._session import ZkSession

__all__ = ["ZooKeeperWatcher"]

#: Failures that end when the connection or session comes back (kazoo reconnects by itself).
_TRANSIENT = (
    ConnectionLoss,
    ConnectionDropped,
    SessionExpiredError,  # includes ConnectionClosedError
    SessionMovedError,
    OperationTimeoutError,
    RequestTimeoutError,
    ThrottledOpError,
)
_AUTH = (NoAuthError, AuthFailedError, SessionClosedRequireSaslError)
_RETRY_FIRST = 0.05
_UNSET = object()


class ZooKeeperWatcher:
    """Watches the data of one znode (``zk://[user:password@]host[:port][,host…]/path``).

    ``changes()`` yields the node's bytes now (``Change(None)`` when it does not
    exist), then the new bytes after each change, ``Change(None)`` on deletion,
    and the bytes again when it is recreated. The revision is the node's
    ``mzxid`` (the transaction id of its last write). A watch is set with each
    read and set again after every event; when the connection comes back
    (same session) or a new session replaces an expired one, the node is read
    again and its value yielded if it changed meanwhile. Options:
    ``session_timeout`` (seconds, default 10) and ``backoff_max`` (the longest
    pause between reconnect attempts, seconds, default 5).
    """

    def __init__(self, uri: SourceURI | str) -> None:
        parsed = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        self._address = ZkAddress.from_uri(parsed)
        self._sessions: set[ZkSession] = set()
        self._closed = False

    @property
    def path(self) -> str:
        """The watched znode's path."""
        return self._address.path

    def __repr__(self) -> str:
        return f"ZooKeeperWatcher({self._address.display!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The node's current state, then one ``Change`` per observed change, until closed."""
        if self._closed:
            return
        session = ZkSession(self._address, asyncio.get_running_loop())
        self._sessions.add(session)
        retries = backoff(_RETRY_FIRST, max_delay=self._address.backoff_max).counter()
        last: object = _UNSET
        try:
            await session.start()
            while batch := await session.outcomes():
                latest = None
                for outcome in batch:
                    if isinstance(outcome, Change):
                        latest = outcome
                        retries.reset()
                    else:
                        self._failed(session, outcome, retries.next_delay())
                # Reads arrive in order: when several are waiting, only the newest matters.
                if latest is not None and (last is _UNSET or latest.revision != last):
                    last = latest.revision
                    yield latest
        finally:
            self._sessions.discard(session)
            await session.close()

    async def aclose(self) -> None:
        """Stop watching: every ``changes()`` iteration ends; kazoo's threads are joined."""
        self._closed = True
        sessions, self._sessions = self._sessions, set()
        for session in sessions:
            await session.close()

    def _failed(self, session: ZkSession, error: Exception, delay: float) -> None:
        """Read again later after a transient failure; raise a SourceError for a permanent one."""
        if isinstance(error, _TRANSIENT):
            # Usually the reconnect reads first; the backoff bounds the wait regardless.
            session.read_later(delay)
            return
        if isinstance(error, _AUTH):
            raise self._refused(error) from None
        if isinstance(error, KazooException):
            raise SourceError(
                f"{self._address.display}: ZooKeeper refused to read the znode "
                f"{self._address.path!r} ({type(error).__name__}); check the path and the server"
            ) from None
        raise error  # a bug, not a source problem: the consumer decides (Capacitor resubscribes)

    def _refused(self, exc: Exception) -> SourceAuthError:
        address = self._address
        who = (
            f"the digest user {address.username!r}"
            if address.username
            else "an unauthenticated client"
        )
        return SourceAuthError(
            f"{address.display}: ZooKeeper refused to let {who} read the znode "
            f"{address.path!r} ({type(exc).__name__}: its ACL does not grant READ); give "
            "credentials the ACL allows as zk://USER:PASSWORD@host:2181/path"
        )
