"""``TcpProxy``: a loopback TCP proxy in front of a real server, for network faults.

A watcher under test connects to the proxy instead of the server; the test
then cuts every connection (an outage the server itself never sees) or holds
back the server's replies on some connections (a peer that stops answering
but keeps the socket open), and restores normal service afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

__all__ = ["TcpProxy"]

#: Bytes of each connection's client side kept for :meth:`TcpProxy.hold` to look at.
_SENT_KEPT = 4096


class _Link:
    """One client connection and its upstream twin."""

    def __init__(self) -> None:
        self.sent = b""  # the first bytes the client sent
        self.held = False  # held by hold(..., existing_only=True)


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to ``host:target``; ``async with`` starts and closes it.

    ``cut()`` drops every connection and refuses new ones until ``restore()``;
    ``hold(where)`` keeps the server's bytes from the clients ``where`` picks
    (by the first bytes each client sent) until ``release()``;
    ``hold(existing_only=True)`` holds only the connections open now, so that
    they go silent while new ones work.
    """

    def __init__(self, target: int, host: str = "127.0.0.1") -> None:
        self.target = target
        self.host = host
        self.port = 0
        #: Connections forwarded so far (a reconnecting client makes it grow).
        self.connections = 0
        self._cut = False
        self._held: Callable[[bytes], bool] | None = None
        self._released = asyncio.Event()
        self._released.set()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._pipes: set[asyncio.Task[None]] = set()
        self._links: set[_Link] = set()

    async def __aenter__(self) -> TcpProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Listen on a free loopback port (``self.port``)."""
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        """Close every open connection (both sides); refuse new ones until restored."""
        self._cut = True
        for writer in list(self._writers):
            writer.close()
        await self._stop_pipes()

    def restore(self) -> None:
        """Accept and forward connections again."""
        self._cut = False

    def hold(
        self, where: Callable[[bytes], bool] = lambda sent: True, *, existing_only: bool = False
    ) -> None:
        """Stop passing the server's bytes to clients whose first sent bytes match ``where``.

        With ``existing_only``, only the connections open now are held; later ones flow.
        """
        if existing_only:
            for link in self._links:
                link.held = where(link.sent)
        else:
            self._held = where
        self._released.clear()

    def release(self) -> None:
        """Pass everything held, and all that follows, again."""
        self._held = None
        for link in self._links:
            link.held = False
        self._released.set()

    async def close(self) -> None:
        """Release, cut every connection and stop listening."""
        self.release()
        await self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._cut:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
        except OSError:
            writer.close()
            return
        self.connections += 1
        self._writers.update((writer, up_writer))
        link = _Link()
        self._links.add(link)
        pipes = (self._upstream(reader, up_writer, link), self._downstream(up_reader, writer, link))
        for pipe in pipes:
            task = asyncio.create_task(pipe)
            self._pipes.add(task)
            task.add_done_callback(self._pipes.discard)

    async def _upstream(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link
    ) -> None:
        async with self._piping(sink):
            while data := await source.read(65536):
                if len(link.sent) < _SENT_KEPT:
                    link.sent += data[: _SENT_KEPT - len(link.sent)]
                sink.write(data)
                await sink.drain()

    async def _downstream(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, link: _Link
    ) -> None:
        async with self._piping(sink):
            while data := await source.read(65536):
                while link.held or (self._held is not None and self._held(link.sent)):
                    await self._released.wait()
                sink.write(data)
                await sink.drain()
        self._links.discard(link)

    @contextlib.asynccontextmanager
    async def _piping(self, sink: asyncio.StreamWriter) -> AsyncIterator[None]:
        try:
            yield
        except (ConnectionError, OSError):
            pass  # either side went away: close the other
        finally:
            sink.close()
            self._writers.discard(sink)

    async def _stop_pipes(self) -> None:
        for task in list(self._pipes):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
