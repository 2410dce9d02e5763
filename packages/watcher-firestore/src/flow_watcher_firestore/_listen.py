"""``Listen``: the client's document watch (``on_snapshot``), with every end of its stream reported.

Why a subclass of the client's ``Watch``: measured against the emulator, the
stock watch recovers from a lost connection by re-opening its stream in a
tight loop with no delay. While the server is down that burns about half a
core and starts thousands of short-lived threads (one per attempt). And a
stream that ends for good only shows up as an exception raised in a daemon
thread (printed to stderr, never delivered to the caller). The subclass
changes only how the stream is built: it never re-opens it itself, maps gRPC
errors to ``google.api_core`` exceptions, and reports every end of the stream
to the snapshot callback's ``fail()``. The watcher then reconnects with
Flow's exponential backoff and jitter and re-reads the document.
"""

# The client's Watch and google.api_core.bidi carry no type annotations.
# mypy: disable-error-code="no-untyped-call"
from __future__ import annotations

from typing import Any, Protocol

from google.api_core import grpc_helpers
from google.api_core.bidi import BackgroundConsumer, ResumableBidiRpc
from google.cloud.firestore_v1.watch import Watch

__all__ = ["Listen", "ListenEnded", "Reporter"]


class ListenEnded(ConnectionError):
    """The listen stream ended without an error status (the watcher reconnects)."""


class Reporter(Protocol):
    """What ``Listen`` calls (from a client thread) when its stream ends."""

    def fail(self, error: BaseException) -> None: ...


def _never(_exc: object) -> bool:
    return False


class Listen(Watch):
    """A document watch whose stream ends are reported instead of retried in place.

    Build it with ``Listen.for_document(ref, callback, DocumentSnapshot)``;
    ``callback`` must also have ``fail(error)`` (see :class:`Reporter`).
    ``close()`` (or ``unsubscribe()``) stops the stream and joins its thread.
    """

    def _init_stream(self) -> None:
        rpc = ResumableBidiRpc(
            # wrap_errors: a failed stream raises GoogleAPICallError, which the consumer thread
            # hands to on_fatal_exception quietly (a raw grpc.RpcError is logged as a crash).
            start_rpc=grpc_helpers.wrap_errors(self._api._transport.listen),
            should_recover=_never,
            should_terminate=_never,
            initial_request=self._get_rpc_request,
            metadata=self._firestore._rpc_metadata,
        )
        rpc.add_done_callback(self._on_rpc_done)
        self._rpc = rpc
        self._consumer = BackgroundConsumer(rpc, self.on_snapshot, on_fatal_exception=self._report)
        self._consumer.start()

    def _on_rpc_done(self, future: Any) -> None:
        # None: closed on purpose (by close(), or just before an error reaches _report).
        if future is not None:
            self._report(future)

    def on_snapshot(self, proto: Any) -> None:
        """Handle one listen response (called on the consumer thread)."""
        if proto is None:
            self._report(ListenEnded("the listen stream ended"))
            return
        if proto._pb.WhichOneof("response_type") == "filter":
            # On a count mismatch the stock watch restarts its stream in place, after which
            # close() no longer stops it; a fresh subscription re-reads the document instead.
            if proto._pb.filter.count != self._current_size():
                self._report(ListenEnded("the listen stream lost track of the document"))
            return
        try:
            super().on_snapshot(proto)
        except Exception as exc:  # e.g. the server removed the target: report, don't crash
            self._report(exc)

    def _report(self, error: BaseException) -> None:
        callback = self._snapshot_callback  # None once closed: nothing to report to
        fail = getattr(callback, "fail", None)
        if fail is not None and not self._closed:
            fail(error)
