"""``FirestoreWatcher``: one Firestore document (or one of its fields), watched in real time.

Each ``changes()`` iteration runs one session at a time (see ``_session``): a
client subscribes to the document with ``on_snapshot``; its first snapshot
is the current state (``Change(None)`` when the document or field is absent),
every later one a change. A value equal to the last one yielded is skipped.

When the listen stream ends (server restart, network, an idle stream closed
by the server), the session is closed and a new one opened with exponential
backoff and jitter; its first snapshot catches up with whatever happened
during the outage. Permanent failures (refused credentials, an invalid
document path, a missing database) raise a :class:`~flow.SourceError`.
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
from ._session import Session, SessionClosed
from ._settings import FirestoreSettings

__all__ = ["DEFAULT_BACKOFF", "FirestoreWatcher"]

logger = logging.getLogger("flow.watcher.firestore")

#: Reconnect delays: 50 ms doubling to 2 s, with equal jitter. A failed attempt is cheap (the
#: connection is refused at once) and the emulator takes 1.5–2.5 s to come back.
DEFAULT_BACKOFF = backoff(0.05, max_delay=2.0)
_UNSET = object()


class FirestoreWatcher:
    """Watches one Firestore document, or one field of it (``firestore://`` URIs).

    ``uri`` is validated here (a bad one raises :class:`~flow.SourceURIError`);
    nothing connects until ``changes()`` is iterated. ``reconnect`` sets the
    backoff between reconnection attempts.
    """

    def __init__(self, uri: str | SourceURI, *, reconnect: Backoff = DEFAULT_BACKOFF) -> None:
        self.settings = FirestoreSettings.from_uri(uri)
        self._reconnect = reconnect
        self._closed = False
        self._sessions: set[Session] = set()
        self._wakers: set[asyncio.Event] = set()

    @property
    def label(self) -> str:
        """The source's redacted URI (used in messages and by the Capacitor)."""
        return self.settings.redacted

    def __repr__(self) -> str:
        return f"FirestoreWatcher({self.settings.redacted!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The document's value now (``Change(None)`` if absent), then one ``Change`` per change.

        Ends normally after :meth:`aclose`; raises a :class:`~flow.SourceError`
        for refused credentials, an invalid path or a missing database.
        """
        loop = asyncio.get_running_loop()
        retries = self._reconnect.counter()
        last: object = _UNSET
        failing = False
        while not self._closed:
            session = Session(self.settings, loop)
            self._sessions.add(session)
            try:
                await session.open()
                while True:
                    change = await session.next()
                    if failing:
                        logger.info("%s: reconnected", self.label)
                        failing = False
                    retries.reset()
                    if change.value != last:
                        last = change.value
                        yield change
            except SessionClosed:
                return
            except Exception as exc:
                if self._closed:
                    return  # aclose() cut the stream under a pending read
                error = permanent_error(exc, self.settings)
                if error is not None:
                    raise error from (None if isinstance(exc, SourceError) else exc)
                self._log_outage(exc, first=not failing)
                failing = True
            finally:
                self._sessions.discard(session)
                await session.close()
            await self._pause(retries.next_delay())

    async def aclose(self) -> None:
        """Stop watching: end the subscriptions, their threads and channels; iterations end."""
        self._closed = True
        for waker in self._wakers:
            waker.set()
        sessions = list(self._sessions)
        for session in sessions:
            session.interrupt()
        for session in sessions:
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
        logger.log(level, "%s: listen stream lost (%s); reconnecting", self.label, _short(exc))


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
