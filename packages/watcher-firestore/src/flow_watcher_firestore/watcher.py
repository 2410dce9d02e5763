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
import logging
from collections.abc import AsyncIterator

from flow.live.change import Change
from flow.live.reconnect import OutageLog, Reconnector
from flow.live.uri import SourceURI
from flow.pipeline import Backoff, backoff

from ._errors import permanent_error
from ._session import Session
from ._settings import FirestoreSettings

__all__ = ["DEFAULT_BACKOFF", "FirestoreWatcher"]

logger = logging.getLogger("flow.watcher.firestore")

#: Reconnect delays: 50 ms doubling to 2 s, with equal jitter. A failed attempt is cheap (the
#: connection is refused at once) and the emulator takes 1.5–2.5 s to come back.
DEFAULT_BACKOFF = backoff(0.05, max_delay=2.0)


class FirestoreWatcher:
    """Watches one Firestore document, or one field of it (``firestore://`` URIs).

    ``uri`` is validated here (a bad one raises :class:`~flow.SourceURIError`);
    nothing connects until ``changes()`` is iterated. ``reconnect`` sets the
    backoff between reconnection attempts.
    """

    def __init__(self, uri: str | SourceURI, *, reconnect: Backoff = DEFAULT_BACKOFF) -> None:
        self.settings = FirestoreSettings.from_uri(uri)
        self._sessions: Reconnector[Session] = Reconnector(
            reconnect,
            classify=lambda exc: permanent_error(exc, self.settings),
            outages=OutageLog(
                logger, self.settings.redacted, lost="listen stream lost", reason=_short
            ),
        )

    @property
    def label(self) -> str:
        """The source's redacted URI (used in messages and by the Capacitor)."""
        return self.settings.redacted

    def __repr__(self) -> str:
        return f"FirestoreWatcher({self.settings.redacted!r})"

    def changes(self) -> AsyncIterator[Change]:
        """The document's value now (``Change(None)`` if absent), then one ``Change`` per change.

        Ends normally after :meth:`aclose`; raises a :class:`~flow.SourceError`
        for refused credentials, an invalid path or a missing database.
        """
        return self._sessions.changes(lambda: Session(self.settings, asyncio.get_running_loop()))

    async def aclose(self) -> None:
        """Stop watching: end the subscriptions, their threads and channels; iterations end."""
        await self._sessions.aclose()


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]
