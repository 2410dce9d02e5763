"""``RedisWatcher``: one Redis string key, watched through keyspace notifications.

Each ``changes()`` iteration runs one session at a time (see ``_session``):
subscribe to ``__keyspace@<db>__:<key>``, read the key, yield it, then read
again on every event that can change the value (``set``, ``rename_to``,
``append``, …). Events that remove the key (``del``, ``expired``,
``evicted``, ``rename_from``, ``move_from``) yield ``Change(None)`` without a
read. A value equal to the last one yielded is not yielded again.

When the connection drops (server restart, network), the session is thrown
away and a new one is opened with exponential backoff and jitter; its first
read catches up with whatever happened during the outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from flow.errors import SourceError
from flow.live.change import Change
from flow.live.uri import SourceURI
from flow.pipeline import Backoff, backoff

from ._errors import permanent_error
from ._session import ABSENT_EVENTS, UNCHANGED_EVENTS, RedisSession, SessionClosed
from ._settings import RedisSettings

__all__ = ["DEFAULT_BACKOFF", "RedisWatcher"]

logger = logging.getLogger("flow.watcher.redis")

#: Reconnect delays: 50 ms doubling to 2 s, with equal jitter. A restarted Redis
#: serves within ~30 ms, so the first retry usually succeeds.
DEFAULT_BACKOFF = backoff(0.05, max_delay=2.0)
_UNSET = object()


class RedisWatcher:
    """Watches one string key of a Redis server (``redis://`` and ``rediss://`` URIs).

    ``uri`` is validated here (a bad one raises :class:`~flow.SourceURIError`);
    nothing connects until ``changes()`` is iterated. ``reconnect`` sets the
    backoff between reconnection attempts.
    """

    def __init__(self, uri: str | SourceURI, *, reconnect: Backoff = DEFAULT_BACKOFF) -> None:
        self.settings = RedisSettings.from_uri(uri)
        self._reconnect = reconnect
        self._closed = False
        self._sessions: set[RedisSession] = set()
        self._wakers: set[asyncio.Event] = set()

    @property
    def label(self) -> str:
        """The source's redacted URI (used in messages and by the Capacitor)."""
        return self.settings.redacted

    def __repr__(self) -> str:
        return f"RedisWatcher({self.settings.redacted!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The key's value now (``Change(None)`` if absent), then one ``Change`` per change.

        Ends normally after :meth:`aclose`; raises a :class:`~flow.SourceError`
        for refused credentials, a non-string key or a misconfigured server.
        """
        retries = self._reconnect.counter()
        last: object = _UNSET
        failing = False
        while not self._closed:
            session = RedisSession(self.settings)
            self._sessions.add(session)
            try:
                await session.open()
                value = await session.read()
                if failing:
                    logger.info("%s: reconnected", self.label)
                retries.reset()
                failing = False
                while True:
                    if value != last:
                        last = value
                        yield Change(value)
                    value = await self._next_value(session)
            except SessionClosed:
                return
            except SourceError:
                raise
            except Exception as exc:
                if session.closed or self._closed:
                    return  # aclose() cut the connection under a pending read
                error = permanent_error(exc, self.settings)
                if error is not None:
                    raise error from exc
                self._log_outage(exc, first=not failing)
                failing = True
            finally:
                self._sessions.discard(session)
                await session.close()
            await self._pause(retries.next_delay())

    async def _next_value(self, session: RedisSession) -> bytes | None:
        """Wait for the next event that can change the value, and return the new value."""
        while True:
            event = await session.next_event()
            if event in ABSENT_EVENTS:
                return None
            if event not in UNCHANGED_EVENTS:
                return await session.read()

    async def aclose(self) -> None:
        """Stop watching: close every connection; iterations in progress end normally."""
        self._closed = True
        for waker in self._wakers:
            waker.set()
        for session in list(self._sessions):
            await session.close()

    async def _pause(self, seconds: float) -> None:
        """Sleep before reconnecting; :meth:`aclose` cuts the sleep short."""
        if self._closed:
            return
        waker = asyncio.Event()
        self._wakers.add(waker)
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await waker.wait()
        finally:
            self._wakers.discard(waker)

    def _log_outage(self, exc: BaseException, *, first: bool) -> None:
        # The first failure of an outage is a warning; the retries that follow are debug noise.
        level = logging.WARNING if first else logging.DEBUG
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        logger.log(level, "%s: connection lost (%s); reconnecting", self.label, reason)
