"""``Session``: one subscription (a client and its document listen), handed over to the loop.

The client calls back on its own threads; every snapshot is encoded there
(JSON encoding of a large document stays off the event loop) and handed to
the loop through a :class:`~flow.live.mailbox.LatestMailbox`, which keeps
only the latest undelivered value (a burst is coalesced, never reordered)
and the first error, which ends the session.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from flow.live.change import Change
from flow.live.mailbox import LatestMailbox
from flow.live.reconnect import Reopen

from ._encode import snapshot_bytes
from ._settings import FirestoreSettings

__all__ = ["Session", "SessionClosed", "close_client"]


class SessionClosed(Exception):
    """The session was closed on purpose (the watcher is closing)."""


class Session:
    """One ``on_snapshot`` subscription to the settings' document, on its own client."""

    def __init__(self, settings: FirestoreSettings, loop: asyncio.AbstractEventLoop) -> None:
        self.settings = settings
        self._lock = threading.Lock()  # open() and close() run on worker threads
        self._client: Any = None
        self._listen: Any = None
        self._closed = False
        self._answered = False  # the first snapshot has arrived
        self._deadline: float | None = None  # loop time: first snapshot due, then resync due
        self._loop = loop
        self._mailbox: LatestMailbox[Change] = LatestMailbox(loop)

    # -- the loop side ----------------------------------------------------------------------

    async def open(self) -> None:
        """Create the client and subscribe (blocking work, done on a worker thread)."""
        await asyncio.to_thread(self._open)
        self._deadline = self._loop.time() + self.settings.timeout

    async def next(self) -> Change:
        """The latest undelivered value; raises the error that ended the stream.

        A listen always starts with a snapshot of the document (or of its
        absence), so one that stays silent past the source's ``timeout`` is
        broken and is reopened (after a failure's backoff). Once answered, the
        subscription is replaced by a fresh one every ``resync`` seconds
        (:class:`~flow.live.reconnect.Reopen`: no backoff, nothing logged),
        which re-reads the document: a stream that went silent without
        failing cannot leave the value stale for longer than that. Both were
        seen with an emulator restarted under its listeners.
        """
        try:
            async with asyncio.timeout_at(self._deadline):
                change = await self._mailbox.get()
        except TimeoutError:
            if self._answered:
                raise Reopen(f"resync after {self.settings.resync:g} s") from None
            from ._listen import ListenEnded

            raise ListenEnded(
                f"no snapshot within {self.settings.timeout:g} s of subscribing"
            ) from None
        if not self._answered:
            self._answered = True
            self._deadline = self._loop.time() + self.settings.resync
        if change is None:
            raise SessionClosed
        return change

    def interrupt(self) -> None:
        """Make a pending :meth:`next` raise :class:`SessionClosed` (call on the loop)."""
        self._closed = True
        self._mailbox.end()

    async def close(self) -> None:
        """Unsubscribe, join the client's threads and close its channel (on a worker thread)."""
        self.interrupt()
        await asyncio.to_thread(self._close)

    # -- the thread side --------------------------------------------------------------------

    def _open(self) -> None:
        with self._lock:
            if self._closed:
                return
            from google.cloud.firestore_v1.base_document import DocumentSnapshot

            from ._listen import Listen

            self._client = _new_client(self.settings)
            reference = self._client.document(self.settings.document)
            # The session itself is the snapshot callback: the listen also calls its fail().
            self._listen = Listen.for_document(reference, self, DocumentSnapshot)  # type: ignore[no-untyped-call]

    def _close(self) -> None:
        with self._lock:
            self._closed = True
            listen, self._listen = self._listen, None
            client, self._client = self._client, None
            if listen is not None:
                listen.close()  # stops the stream and joins its consumer thread
            if client is not None:
                close_client(client)

    def __call__(self, documents: list[Any], _changes: object, _read_time: object) -> None:
        """The snapshot callback (on the client's consumer thread): zero or one document."""
        try:
            if documents:
                snapshot = documents[0]
                value = snapshot_bytes(snapshot, self.settings.field, self.settings.redacted)
                stamp = snapshot.update_time
                revision = stamp.rfc3339() if stamp is not None else None
                item: Change | BaseException = Change(value, revision)
            else:
                item = Change(None)
        except Exception as exc:  # e.g. a value that cannot be encoded: ends the session
            item = exc
        self._hand_over(item)

    def fail(self, error: BaseException) -> None:
        """Called by the listen (on a client thread) when its stream ends."""
        self._hand_over(error)

    def _hand_over(self, item: Change | BaseException) -> None:
        # Latest wins: an older undelivered value is dropped; the first error is kept.
        if isinstance(item, BaseException):
            self._mailbox.fail_threadsafe(item)
        else:
            self._mailbox.put_threadsafe(item)


def close_client(client: Any) -> None:
    """Close a client's gRPC channel (its sockets) as well as its HTTP session."""
    client.close()
    # Client.close() only closes an HTTP session; the gRPC channel would stay open (and connected)
    # until garbage collection. The API object exists only once the client has been used.
    api = getattr(client, "_firestore_api_internal", None)
    if api is not None:
        api.transport.close()


def _new_client(settings: FirestoreSettings) -> Any:
    """A Firestore client for the settings: the emulator's, or one with the usual credentials."""
    from google.cloud import firestore

    if settings.emulator is None:
        # Credentials come from the client's usual places (GOOGLE_APPLICATION_CREDENTIALS, ADC);
        # FIRESTORE_EMULATOR_HOST, when set, makes the client talk to that emulator instead.
        return firestore.Client(project=settings.project, database=settings.database)
    from google.auth.credentials import AnonymousCredentials

    client = firestore.Client(
        project=settings.project,
        database=settings.database,
        credentials=AnonymousCredentials(),  # type: ignore[no-untyped-call]
    )
    # The client only reads the emulator address from FIRESTORE_EMULATOR_HOST, at construction;
    # setting its attribute before the first call (it is read lazily) avoids changing the
    # process environment, which other clients in the process would see.
    client._emulator_host = settings.emulator
    return client
