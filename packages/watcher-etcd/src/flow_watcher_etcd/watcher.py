"""``EtcdWatcher``: one etcd v3 key as a Flow watcher, on aetcd's gRPC connection."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

from flow.live.change import Change
from flow.live.uri import SourceURI
from flow.pipeline import BackoffCounter, backoff

from ._config import EtcdConfig
from ._errors import EtcdAuthError, is_connection_failure, permanent_error, rpc_status
from ._mailbox import Mailbox
from ._session import Compacted, Session

__all__ = ["EtcdAuthError", "EtcdWatcher"]

logger = logging.getLogger("flow.watcher.etcd")
#: Reconnect delays: 50 ms doubling to 5 s, with jitter (etcd restarts in ~0.3 s).
RECONNECT = backoff(0.05, max_delay=5.0)
_UNSET = object()


class EtcdWatcher:
    """Watches one etcd v3 key: ``etcd://[user:password@]host[:port]/key``.

    ``changes()`` yields the key's value now (``Change(None)`` when absent),
    then one ``Change`` per put or delete, with the key's ``mod_revision`` as
    its revision. After a lost connection it reconnects with backoff and
    resumes from the last revision it delivered, so no change is skipped; when
    that revision was compacted away, it reads the key again instead.
    Refused credentials and denied access raise :class:`EtcdAuthError`.
    """

    def __init__(self, uri: SourceURI | str) -> None:
        parsed = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        self._config = EtcdConfig.from_uri(parsed)
        self._runs: dict[asyncio.Task[None], Mailbox] = {}
        self._closed = False

    @property
    def key(self) -> bytes:
        """The watched key."""
        return self._config.key

    def __repr__(self) -> str:
        return f"EtcdWatcher({self._config.display!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The key's current state, then one ``Change`` per change, until closed."""
        if self._closed:
            return
        mailbox = Mailbox()
        follower = _Follower(self._config, mailbox.put)
        task = asyncio.create_task(
            _run(follower, mailbox), name=f"flow-etcd {self._config.display}"
        )
        self._runs[task] = mailbox
        try:
            while (change := await mailbox.take()) is not None:
                yield change
        finally:
            self._runs.pop(task, None)
            mailbox.close()
            task.cancel()
            await asyncio.wait({task})

    async def aclose(self) -> None:
        """Stop watching: every ``changes()`` iteration ends; connections are closed."""
        self._closed = True
        runs, self._runs = self._runs, {}
        for task, mailbox in runs.items():
            mailbox.close()
            task.cancel()
        if runs:
            await asyncio.wait(runs.keys())


async def _run(follower: _Follower, mailbox: Mailbox) -> None:
    try:
        await follower.run()
    except Exception as exc:  # permanent errors, and bugs: the consumer sees them either way
        mailbox.fail(exc)


class _Follower:
    """Follows the key across connections: read, watch, resume or re-read; never skips."""

    def __init__(self, config: EtcdConfig, publish: Callable[[Change], None]) -> None:
        self._config = config
        self._publish = publish
        self._last: object = _UNSET
        #: The store revision to watch from next: everything before it was delivered.
        self._resume: int | None = None

    async def run(self) -> None:
        """Connect, follow, and reconnect after transient failures until cancelled."""
        retries = RECONNECT.counter()
        while True:
            try:
                session = await Session.open(self._config)
            except Exception as exc:
                await self._pause(exc, retries)
                continue
            failure: Exception | None = None
            try:
                await self._follow(session, retries)
            except Exception as exc:
                failure = exc
            finally:
                await session.close()
            if failure is not None:
                await self._pause(failure, retries)

    async def _follow(self, session: Session, retries: BackoffCounter) -> None:
        resume = self._resume
        if resume is None or not await session.can_resume(resume):
            # First connection, or the history since the last change seen is gone
            # (compacted, or a server restored from less than we saw): read again.
            resume = await self._read(session)
        retries.reset()  # connected, authenticated and allowed to read
        while True:
            try:
                # After a reconnect this replays what changed while we were away.
                async for change, revision in session.watch(resume):
                    self._last = change.value
                    self._resume = resume = revision + 1
                    self._publish(change)
            except Compacted:
                resume = await self._read(session)

    async def _read(self, session: Session) -> int:
        """Read the key, publish it if it differs, and return the revision to watch from."""
        snapshot = await session.read()
        self._offer(snapshot.change)
        self._resume = snapshot.revision + 1
        return self._resume

    def _offer(self, change: Change) -> None:
        """Publish a value read (not watched) only when it differs from the last one."""
        if self._last is _UNSET or change.value != self._last:
            self._last = change.value
            self._publish(change)

    async def _pause(self, exc: Exception, retries: BackoffCounter) -> None:
        if not is_connection_failure(exc):
            raise exc  # not a failure of the connection: a bug must surface, not be retried
        error = permanent_error(exc, self._config)
        if error is not None:
            raise error from None  # the gRPC error adds nothing, and must not leak details
        _code, details = rpc_status(exc)
        level = logging.WARNING if retries.attempt == 0 else logging.DEBUG
        logger.log(level, "etcd %s: %s; reconnecting", self._config.display, details)
        await retries.wait()
