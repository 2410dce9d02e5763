"""``Session``: one connection to NATS and one JetStream watch of one key."""

from __future__ import annotations

import contextlib
import logging

from flow.live.change import Change
from flow.live.mailbox import LatestMailbox
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import SlowConsumerError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext

from ._settings import NatsSettings

__all__ = ["Session"]

logger = logging.getLogger("flow_watcher_nats")

# Header names and values of the NATS KV convention (ADR-8).
_OPERATION = "KV-Operation"
_REMOVED = frozenset({"DEL", "PURGE"})
_MARKER = "Nats-Marker-Reason"  # nats-server 2.11+: server-placed delete/expiry markers
_MARKER_REMOVED = frozenset({"MaxAge", "Purge", "Remove"})
# Seconds a consumer whose client vanished lingers on the server before it is removed.
_INACTIVE_THRESHOLD = 30.0
# Pings detect a silently dead TCP connection within about interval x (outstanding + 1).
_PING_INTERVAL = 10
_MAX_OUTSTANDING_PINGS = 2


class Session:
    """Connects, checks the bucket, and watches the key into :attr:`mailbox`.

    The watch is an ephemeral push consumer on the bucket's stream, filtered
    to the key's subject, with ``DeliverPolicy.LAST_PER_SUBJECT`` (as
    ``KeyValue.watch`` does): its first message is the key's current value,
    and "nothing pending, nothing delivered" right after it is created means
    the key is absent. Written against the JetStream API rather than through
    ``KeyValue.watch``: that watcher's queue cannot be interrupted when the
    connection drops (its ``stop()`` needs a live connection) and does not
    coalesce bursts, and its ordered consumer runs two client-side tasks
    (heartbeat and flow-control checks) that outlive a dropped connection
    by up to ten seconds. Nothing here runs in the background: the session
    never reconnects by itself; when the connection closes the mailbox ends,
    and the watcher opens a new session (a fresh consumer, so a fresh read
    of the key) after a backoff.
    """

    def __init__(self, settings: NatsSettings) -> None:
        self.settings = settings
        self.mailbox: LatestMailbox[Change] = LatestMailbox()
        self.client = Client()
        self.last_error: BaseException | None = None
        self._received = 0

    async def open(self) -> None:
        """Connect and start the watch; the current state is in the mailbox soon after.

        Raises whatever the client raises (the watcher sorts it with
        :func:`~flow_watcher_nats._errors.classify`).
        """
        s = self.settings
        await self.client.connect(
            servers=[s.server],
            user=s.user,
            password=s.password,
            token=s.token,
            name="flow-watcher-nats",
            connect_timeout=max(1, round(s.timeout)),
            # One attempt (nats-py tries twice at least); the watcher owns reconnecting.
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0,
            ping_interval=_PING_INTERVAL,
            max_outstanding_pings=_MAX_OUTSTANDING_PINGS,
            error_cb=self._on_error,
            closed_cb=self._on_closed,
        )
        js: JetStreamContext = self.client.jetstream(timeout=s.timeout)
        await js.key_value(s.bucket)  # raises BucketNotFoundError with a clear meaning
        subscription = await js.subscribe(
            s.subject,
            stream=s.stream,
            cb=self._on_message,
            config=ConsumerConfig(ack_policy=AckPolicy.NONE, mem_storage=True, num_replicas=1),
            deliver_policy=DeliverPolicy.LAST_PER_SUBJECT,
            inactive_threshold=_INACTIVE_THRESHOLD,
        )
        info = await subscription.consumer_info()
        delivered = info.delivered.consumer_seq if info.delivered else 0
        if not info.num_pending and not delivered and not self._received:
            # Nothing stored under the key when the consumer started: it is absent.
            self.mailbox.put(Change(None))

    async def close(self) -> None:
        """End the mailbox and close the connection (safe to call twice, or before open)."""
        self.mailbox.end()
        with contextlib.suppress(Exception):
            await self.client.close()

    async def _on_message(self, msg: Msg) -> None:
        self._received += 1
        headers = msg.headers
        value: bytes | None = msg.data
        if headers:
            if headers.get(_OPERATION) in _REMOVED:
                value = None
            elif _MARKER in headers:
                if headers[_MARKER] not in _MARKER_REMOVED:
                    return  # a marker kind this version does not know: not a value
                value = None
        self.mailbox.put(Change(value, str(msg.metadata.sequence.stream)))

    async def _on_error(self, exc: Exception) -> None:
        # Kept for classification when connect() fails; nats-py would log it as an error.
        self.last_error = exc
        if isinstance(exc, SlowConsumerError):
            # The client dropped messages: the latest may be among them. Start over.
            self.mailbox.end()
        logger.debug("%s: NATS client error %s", self.settings.display, type(exc).__name__)

    async def _on_closed(self) -> None:
        self.mailbox.end()
