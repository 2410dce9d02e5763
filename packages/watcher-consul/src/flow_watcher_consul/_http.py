"""One HTTP session to a Consul agent, reading one key with blocking queries.

Values are read with ``?raw``: the body is the value's bytes exactly as
stored (binary-safe, no base64 or JSON to decode, which matters for 1 MiB
values), and ``X-Consul-Index`` still carries the index.

aiohttp is used directly rather than through py-consul's ``consul.aio``: that
adapter builds its aiohttp session in a synchronous constructor, passes
connector arguments aiohttp deprecated, has one total timeout for every call
(a blocking query needs ``wait + wait/16`` plus a margin, a plain read only
the margin) and has no type hints; its ``asyncio`` extra installs aiohttp
anyway. The KV read is one GET, so going direct adds no dependency and takes
a layer off the path that change latency is measured on.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import aiohttp
from yarl import URL

from ._settings import ConsulSettings

__all__ = ["Answer", "KVReader"]


@dataclass(frozen=True, slots=True)
class Answer:
    """One HTTP answer: status, ``X-Consul-Index`` (None when missing), body."""

    status: int
    index: int | None
    body: bytes


class KVReader:
    """Reads the key of ``settings``; ``read(index)`` blocks when ``index`` > 0."""

    def __init__(self, settings: ConsulSettings) -> None:
        self.settings = settings
        headers = {"X-Consul-Token": settings.token} if settings.token else {}
        connector = aiohttp.TCPConnector(
            limit=2,
            ssl=settings.tls if settings.tls is not None else True,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            headers=headers,
            auto_decompress=False,
            skip_auto_headers=("User-Agent",),
        )
        dc = f"&dc={quote(settings.dc, safe='')}" if settings.dc else ""
        self._read_url = f"{settings.kv_url}?raw{dc}"
        self._block_url = f"{settings.kv_url}?raw{dc}&wait={settings.wait_param}&index="
        # Consul holds a blocking query up to wait + wait/16; the timeout adds its margin.
        self._read_timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=settings.timeout, sock_read=settings.timeout
        )
        self._block_timeout = aiohttp.ClientTimeout(
            total=None,
            sock_connect=settings.timeout,
            sock_read=settings.wait * 17 / 16 + settings.timeout,
        )

    async def read(self, index: int) -> Answer:
        """GET the key: at once when ``index`` is 0, else blocking until it passes ``index``."""
        if index > 0:
            url, timeout = self._block_url + str(index), self._block_timeout
        else:
            url, timeout = self._read_url, self._read_timeout
        async with self._session.get(URL(url, encoded=True), timeout=timeout) as response:
            body = await response.read()
            return Answer(response.status, _index(response.headers.get("X-Consul-Index")), body)

    async def close(self) -> None:
        """Close every connection; a read in progress fails at once."""
        await self._session.close()

    @property
    def closed(self) -> bool:
        """True once :meth:`close` was called."""
        return self._session.closed


def _index(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None
