"""Sorting the client's exceptions into permanent ``SourceError``s and transient failures."""

from __future__ import annotations

import nats.errors
import nats.js.errors
from flow.errors import SourceAuthError, SourceError

from ._settings import ENV_PASSWORD, ENV_TOKEN, ENV_USER, NatsSettings

__all__ = ["JetStreamUnavailable", "Transient", "classify"]


class Transient(Exception):
    """A failure worth retrying after a backoff (the server is down or restarting)."""


class JetStreamUnavailable(Transient):
    """The server answers, but JetStream does not (disabled, or still starting)."""


def classify(exc: BaseException, settings: NatsSettings) -> Exception:
    """The exception to raise (a ``SourceError``) or to retry on (a :class:`Transient`).

    Messages are written here from the exception's kind, never copied from
    the server's text, so no credential can leak into them.
    """
    where = settings.display
    if _is_auth_error(exc):
        return SourceAuthError(
            f"{where}: the NATS server refused the credentials; give the right token "
            f"(nats://TOKEN@host or {ENV_TOKEN}) or user and password "
            f"(nats://user:password@host or {ENV_USER}/{ENV_PASSWORD})"
        )
    if isinstance(exc, nats.js.errors.BucketNotFoundError):
        return SourceError(
            f"{where}: the key-value bucket {settings.bucket!r} does not exist on "
            f"{settings.server}; create it with `nats kv add {settings.bucket}` "
            f"(or js.create_key_value(bucket={settings.bucket!r}) in nats-py)"
        )
    if isinstance(exc, nats.js.errors.ServiceUnavailableError | nats.errors.NoRespondersError):
        return JetStreamUnavailable(
            f"{where}: JetStream is not available on {settings.server}; "
            "start nats-server with -js (JetStream enabled)"
        )
    if isinstance(exc, nats.js.errors.APIError) and not isinstance(exc, nats.js.errors.ServerError):
        # A 4xx answer from the JetStream API: asking again gets the same answer.
        return SourceError(
            f"{where}: JetStream refused to watch {settings.subject!r} "
            f"(code {exc.code}, error {exc.err_code}): {exc.description}"
        )
    if isinstance(exc, OSError | TimeoutError | nats.errors.Error):
        return Transient(f"{where}: {type(exc).__name__}")
    return exc if isinstance(exc, Exception) else Transient(type(exc).__name__)


def _is_auth_error(exc: BaseException) -> bool:
    if isinstance(exc, nats.errors.AuthorizationError):
        return True
    # nats-py reports the server's "-ERR 'Authorization Violation'" as a plain Error.
    text = str(exc).lower()
    return isinstance(exc, nats.errors.Error) and (
        "authorization violation" in text or "authentication" in text
    )
