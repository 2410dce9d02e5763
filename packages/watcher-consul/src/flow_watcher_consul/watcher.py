"""``ConsulWatcher``: one Consul KV key, watched with blocking queries.

Each ``changes()`` iteration runs this loop over one HTTP session::

    index = 0
    loop:
        GET /v1/kv/<key>?raw&index=<index>&wait=<wait>   (index 0: a plain read)
        200 → the value, 404 → None; yield it if it differs from the last one yielded
        index = X-Consul-Index, reset to 0 when it goes backwards or is not > 0

A blocking query's return is no guarantee of a change (a wait that ended, a
write to another key while this one is missing), so only a value different
from the last yielded one is yielded. A connection error, a timeout or a
5xx answer resets the index to 0 and retries with exponential backoff and
jitter: the first answer after an outage is a plain read of the current
value, so nothing that happened meanwhile is missed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
from flow.errors import SourceError
from flow.live.change import Change
from flow.live.reconnect import CloseSignal, OutageLog
from flow.live.uri import SourceURI
from flow.pipeline import Backoff, backoff

from ._errors import answer_error, connection_error
from ._http import Answer, KVReader
from ._index import next_index
from ._settings import ConsulSettings

__all__ = ["DEFAULT_BACKOFF", "ConsulWatcher"]

logger = logging.getLogger("flow.watcher.consul")

#: Delays between retries: 50 ms doubling to 2 s, with equal jitter.
DEFAULT_BACKOFF = backoff(0.05, max_delay=2.0)
_UNSET = object()
_TRANSIENT = (aiohttp.ClientError, TimeoutError, OSError)


class _Outage(Exception):
    """An answer worth retrying (5xx, 429, a missing index after a good answer)."""


class ConsulWatcher:
    """Watches one key of Consul's KV store (``consul://`` URIs).

    ``uri`` is validated here (a bad one raises :class:`~flow.SourceURIError`);
    nothing connects until ``changes()`` is iterated. ``reconnect`` sets the
    backoff between retries after errors and after answers that must not be
    repeated at once (an index of 0, a query that did not block).
    """

    def __init__(self, uri: str | SourceURI, *, reconnect: Backoff = DEFAULT_BACKOFF) -> None:
        self.settings = ConsulSettings.from_uri(uri)
        self._reconnect = reconnect
        self._signal = CloseSignal()
        self._readers: set[KVReader] = set()

    @property
    def label(self) -> str:
        """The source's redacted URI (used in messages and by the Capacitor)."""
        return self.settings.redacted

    def __repr__(self) -> str:
        return f"ConsulWatcher({self.settings.redacted!r})"

    async def changes(self) -> AsyncIterator[Change]:
        """The key's value now (``Change(None)`` if absent), then one ``Change`` per change.

        Ends normally after :meth:`aclose`; raises :class:`~flow.SourceAuthError`
        when the ACL token is refused and :class:`~flow.SourceError` for other
        permanent failures.
        """
        if self._signal.closed:
            return
        reader = KVReader(self.settings)
        self._readers.add(reader)
        retries = self._reconnect.counter()
        outages = OutageLog(
            logger,
            self.label,
            lost="Consul unreachable",
            retrying="retrying",
            back="reachable again",
        )
        last: object = _UNSET
        index, ever_ok = 0, False
        loop = asyncio.get_running_loop()
        try:
            while not self._signal.closed:
                started = loop.time()
                try:
                    answer = await reader.read(index)
                    self._check(answer, ever_ok)
                except SourceError:
                    if self._signal.closed:
                        return
                    raise
                except (*_TRANSIENT, _Outage) as exc:
                    if self._signal.closed or reader.closed:
                        return  # aclose() cut the connection under a pending read
                    self._give_up_on(exc)
                    outages.failed(exc)
                    index = 0
                    await self._signal.pause(retries.next_delay())
                    continue
                outages.recovered()
                ever_ok = True
                value = answer.body if answer.status == 200 else None
                if value != last:
                    last = value
                    yield Change(value, None if answer.index is None else str(answer.index))
                index, sane = next_index(
                    index, answer.index or 0, elapsed=loop.time() - started, wait=self.settings.wait
                )
                if sane:
                    retries.reset()
                else:
                    await self._signal.pause(retries.next_delay())
        finally:
            self._readers.discard(reader)
            await reader.close()

    def _check(self, answer: Answer, ever_ok: bool) -> None:
        error = answer_error(answer, self.settings, ever_ok=ever_ok)
        if error is not None:
            raise error
        if answer.status not in (200, 404) or answer.index is None:
            raise _Outage(f"HTTP {answer.status}" + ("" if answer.index else ", no index"))

    def _give_up_on(self, exc: BaseException) -> None:
        """Raise the permanent error a connection failure means (a TLS mistake), if any."""
        error = connection_error(exc, self.settings)
        if error is not None:
            raise error from None

    async def aclose(self) -> None:
        """Stop watching: close every connection; iterations in progress end normally."""
        self._signal.close()
        for reader in list(self._readers):
            await reader.close()
