"""Reconnecting watchers: the loop every network watcher repeats, and its parts.

Contract point 3 (DESIGN §4) asks every watcher to reconnect with backoff and
jitter, re-read, and yield the current value only if it differs from the last
one yielded; point 5 asks ``aclose()`` to end everything at once. The pieces:

* :class:`CloseSignal`: a closed flag plus backoff pauses that ``close()`` cuts short.
* :class:`OutageLog`: logs the first failure of an outage as a warning, the
  retries as debug noise, and the recovery once.
* :class:`Reconnector`: the whole loop for watchers built from sessions (one
  connection each, see :class:`WatchSession`)::

      class MyWatcher:
          def __init__(self, uri: str) -> None:
              self.settings = parse(uri)
              self._sessions = Reconnector(
                  backoff(0.05, max_delay=2.0),
                  classify=lambda exc: permanent_error(exc, self.settings),
                  outages=OutageLog(logger, self.settings.redacted),
              )

          def changes(self) -> AsyncIterator[Change]:
              return self._sessions.changes(lambda: MySession(self.settings))

          async def aclose(self) -> None:
              await self._sessions.aclose()
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Generic, Protocol, TypeVar

from ..errors import SourceError
from ..pipeline import Backoff
from .change import Change

__all__ = [
    "CloseSignal",
    "OutageLog",
    "Reconnector",
    "Reopen",
    "WatchSession",
    "describe_error",
]

_UNSET = object()


class Reopen(Exception):
    """Raised by a session's ``next()`` to be replaced by a new session at once.

    Not a failure: no backoff, nothing logged. For a periodic resync, where a
    fresh subscription re-reads the source in case the old one went silent.
    """


class CloseSignal:
    """A watcher's "closed" flag, and pauses between attempts that closing cuts short.

    Each pause waits on an event of its own, created on the running loop, so
    one signal serves iterations on any loop.
    """

    __slots__ = ("_closed", "_wakers")

    def __init__(self) -> None:
        self._closed = False
        self._wakers: set[asyncio.Event] = set()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Mark closed and end every pause in progress (call on the loop)."""
        self._closed = True
        for waker in self._wakers:
            waker.set()

    async def pause(self, seconds: float) -> None:
        """Sleep ``seconds``; return at once when closed, or as soon as :meth:`close` is called."""
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


def describe_error(exc: BaseException) -> str:
    """``"TypeName: message"`` (or just the type's name when the message is empty)."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class OutageLog:
    """Logs one outage of a source: a warning first, debug for the retries, info on recovery.

    Messages read ``"<label>: <lost> (<reason>); <retrying>"`` and
    ``"<label>: <back>"``; ``reason`` turns the exception into text (never
    put a secret in it: the label is the redacted URI).
    """

    __slots__ = ("back", "failing", "label", "logger", "lost", "reason", "retrying")

    def __init__(
        self,
        logger: logging.Logger,
        label: str,
        *,
        lost: str = "connection lost",
        retrying: str = "reconnecting",
        back: str = "reconnected",
        reason: Callable[[BaseException], str] = describe_error,
    ) -> None:
        self.logger = logger
        self.label = label
        self.lost = lost
        self.retrying = retrying
        self.back = back
        self.reason = reason
        #: True from a failure until the next :meth:`recovered`.
        self.failing = False

    def failed(self, exc: BaseException) -> None:
        """Log a failed attempt: a warning for the first of an outage, debug after."""
        level = logging.DEBUG if self.failing else logging.WARNING
        self.failing = True
        self.logger.log(
            level, "%s: %s (%s); %s", self.label, self.lost, self.reason(exc), self.retrying
        )

    def recovered(self) -> None:
        """The source answers again: log it once if an outage was logged."""
        if self.failing:
            self.failing = False
            self.logger.info("%s: %s", self.label, self.back)


class WatchSession(Protocol):
    """One connection of a watcher, as :class:`Reconnector` drives it."""

    async def open(self) -> None:
        """Connect (and subscribe): raise on failure."""

    async def next(self) -> Change:
        """The source's current state on the first call, then the next change.

        Raise when the connection is lost; :meth:`close` (from another task)
        must make a pending call raise promptly. Raise :class:`Reopen` to be
        replaced by a new session without a pause.
        """
        ...

    async def close(self) -> None:
        """Release the connection; safe to call twice and before :meth:`open`."""


S = TypeVar("S", bound=WatchSession)


class Reconnector(Generic[S]):
    """Runs a watcher's sessions one after another until it is closed (contract points 3, 5).

    Each :meth:`changes` iteration opens a session and yields its changes,
    skipping a value equal to the last one yielded. When the session fails,
    ``classify(exc)`` says whether the failure is permanent (a
    :class:`~flow.SourceError` to raise, chained to ``exc``) or transient
    (``None``: the outage is logged and a new session is opened after the
    backoff's next delay; its first read catches up with the outage). A
    ``SourceError`` raised by the session itself is permanent as it is.
    After :meth:`aclose` every iteration ends normally.
    """

    def __init__(
        self,
        policy: Backoff,
        *,
        classify: Callable[[BaseException], SourceError | None],
        outages: OutageLog,
    ) -> None:
        self.policy = policy
        self.classify = classify
        self.outages = outages
        self.signal = CloseSignal()
        self._sessions: set[S] = set()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called."""
        return self.signal.closed

    async def changes(self, new_session: Callable[[], S]) -> AsyncIterator[Change]:
        """The source's changes through sessions made by ``new_session()``, until closed."""
        retries = self.policy.counter()
        last: object = _UNSET
        while not self.closed:
            session = new_session()
            self._sessions.add(session)
            try:
                await session.open()
                change = await session.next()
                self.outages.recovered()
                retries.reset()
                while True:
                    if change.value != last:
                        last = change.value
                        yield change
                    change = await session.next()
            except Reopen:
                continue  # the finally below closes it; the next session re-reads the source
            except Exception as exc:
                if self.closed:
                    return  # aclose() cut the connection under a pending read
                if isinstance(exc, SourceError):
                    raise
                error = self.classify(exc)
                if error is not None:
                    raise error from exc
                self.outages.failed(exc)
            finally:
                self._sessions.discard(session)
                await session.close()
            await self.signal.pause(retries.next_delay())

    async def aclose(self) -> None:
        """End every iteration: cut pauses short and close every open session."""
        self.signal.close()
        sessions = list(self._sessions)
        if sessions:
            await asyncio.gather(*(session.close() for session in sessions))
