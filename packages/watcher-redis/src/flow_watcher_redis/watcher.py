"""``RedisWatcher``: one Redis string key, watched through keyspace notifications.

Each ``changes()`` iteration runs one session at a time (see ``_session``):
subscribe to ``__keyspace@<db>__:<key>``, read the key, yield it, then read it
again on every event on the key (``set``, ``del``, ``expired``, ``rename_to``,
``append``, …) the moment the event arrives. A value equal to the last one
yielded is not yielded again (so TTL-only events yield nothing), and an absent
key yields ``Change(None)``.

When the connection drops (server restart, network), the session is thrown
away and a new one is opened with exponential backoff and jitter; its first
read catches up with whatever happened during the outage.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

from flow.live.change import Change
from flow.live.reconnect import OutageLog, Reconnector
from flow.live.uri import SourceURI
from flow.pipeline import Backoff, backoff

from ._errors import permanent_error
from ._session import RedisSession
from ._settings import RedisSettings

__all__ = ["DEFAULT_BACKOFF", "RedisWatcher"]

logger = logging.getLogger("flow.watcher.redis")

#: Reconnect delays: 50 ms doubling to 2 s, with equal jitter. A restarted Redis
#: serves within ~30 ms, so the first retry usually succeeds.
DEFAULT_BACKOFF = backoff(0.05, max_delay=2.0)


class RedisWatcher:
    """Watches one string key of a Redis server (``redis://`` and ``rediss://`` URIs).

    ``uri`` is validated here (a bad one raises :class:`~flow.SourceURIError`);
    nothing connects until ``changes()`` is iterated. ``reconnect`` sets the
    backoff between reconnection attempts.
    """

    def __init__(self, uri: str | SourceURI, *, reconnect: Backoff = DEFAULT_BACKOFF) -> None:
        self.settings = RedisSettings.from_uri(uri)
        self._sessions: Reconnector[RedisSession] = Reconnector(
            reconnect,
            classify=lambda exc: permanent_error(exc, self.settings),
            outages=OutageLog(logger, self.settings.redacted),
        )

    @property
    def label(self) -> str:
        """The source's redacted URI (used in messages and by the Capacitor)."""
        return self.settings.redacted

    def __repr__(self) -> str:
        return f"RedisWatcher({self.settings.redacted!r})"

    def changes(self) -> AsyncIterator[Change]:
        """The key's value now (``Change(None)`` if absent), then one ``Change`` per change.

        Ends normally after :meth:`aclose`; raises a :class:`~flow.SourceError`
        for refused credentials, a non-string key or a misconfigured server.
        """
        return self._sessions.changes(lambda: RedisSession(self.settings))

    async def aclose(self) -> None:
        """Stop watching: close every connection; iterations in progress end normally."""
        await self._sessions.aclose()
