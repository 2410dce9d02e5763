"""``NatsWatcher``: one key of a NATS JetStream key-value bucket as a Flow watcher."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import nats.errors
from flow.errors import SourceError, SourceURIError
from flow.live.change import Change
from flow.live.reconnect import CloseSignal
from flow.live.uri import SourceURI
from flow.pipeline import backoff

from ._errors import JetStreamUnavailable, Transient, classify
from ._session import Session
from ._settings import NatsSettings

__all__ = ["JETSTREAM_GRACE", "RECONNECT", "NatsWatcher"]

#: Reconnect delays: 50 ms doubling up to 2 s, each drawn from [d/2, d] (equal jitter).
RECONNECT = backoff(0.05, max_delay=2.0)
#: Seconds JetStream may stay unavailable before a watcher that never got a value gives up.
JETSTREAM_GRACE = 3.0
_UNSET: object = object()


class NatsWatcher:
    """Watches one key of a JetStream key-value bucket.

    ``uri``: ``nats://[user:password@ | token@]host[:port]/<bucket>/<key>``
    (option ``timeout=SECONDS`` for connect and JetStream requests, default 5).
    ``changes()`` yields the key's value now (``Change(None)`` when it is
    absent), then one ``Change`` per put; deletes and purges yield
    ``Change(None)``. When the connection drops it reconnects with
    exponential backoff and jitter and re-reads the key, yielding it only if
    it differs from the last value yielded. Refused credentials
    (:class:`~flow.errors.SourceAuthError`), a missing bucket and a server
    without JetStream raise a :class:`~flow.SourceError`.
    """

    def __init__(self, uri: SourceURI | str) -> None:
        parsed = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        if parsed.scheme != "nats":
            raise SourceURIError(f"{parsed.redacted} is not a nats:// URI")
        self._settings = NatsSettings.from_uri(parsed)
        self._signal = CloseSignal()
        self._sessions: set[Session] = set()
        self._opening: set[asyncio.Task[None]] = set()
        self._failures = 0

    @property
    def settings(self) -> NatsSettings:
        """Server, bucket, key and options parsed from the URI (credentials not shown)."""
        return self._settings

    @property
    def failures(self) -> int:
        """Connection attempts that failed since the watch last received something."""
        return self._failures

    def __repr__(self) -> str:
        return f"NatsWatcher({self._settings.display!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The key's current state, then one ``Change`` per change, until closed."""
        retries = RECONNECT.counter()
        last: object = _UNSET
        unavailable_since: float | None = None
        while not self._signal.closed:
            session = Session(self._settings)
            self._sessions.add(session)
            try:
                failure = await self._open(session)
                if failure is not None:
                    if not isinstance(failure, Transient):
                        raise failure
                    if isinstance(failure, JetStreamUnavailable) and last is _UNSET:
                        now = asyncio.get_running_loop().time()
                        unavailable_since = unavailable_since or now
                        if now - unavailable_since >= JETSTREAM_GRACE:
                            raise SourceError(str(failure)) from None
                    self._failures += 1
                    await self._signal.pause(retries.next_delay())
                    continue
                first = True
                mailbox = session.mailbox
                while (change := await mailbox.get()) is not None and not self._signal.closed:
                    if first:
                        first = False
                        retries.reset()
                        self._failures = 0
                        if change.value == last:
                            continue  # nothing changed while we were away
                    last = change.value
                    yield change
            finally:
                self._sessions.discard(session)
                await session.close()

    async def aclose(self) -> None:
        """Stop watching: every ``changes()`` iteration ends and every connection is closed."""
        self._signal.close()
        for task in list(self._opening):
            task.cancel()
        for session in list(self._sessions):
            await session.close()

    async def _open(self, session: Session) -> Exception | None:
        """Open ``session``; None on success or when closed meanwhile, else the sorted error."""
        # A task, so that aclose() can cancel a connect that is still under way.
        task = asyncio.create_task(session.open(), name=f"flow-nats-open {session.settings.key}")
        self._opening.add(task)
        try:
            await asyncio.wait({task})
        finally:
            self._opening.discard(task)
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if task.cancelled() or self._signal.closed:
            return None
        exc = task.exception()
        if exc is None:
            return None
        if isinstance(exc, nats.errors.NoServersError) and session.last_error is not None:
            exc = session.last_error  # why the only server failed says more than "no servers"
        return classify(exc, self._settings)
