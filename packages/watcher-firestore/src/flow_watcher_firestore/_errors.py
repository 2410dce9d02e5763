"""Which failures are permanent (raise a SourceError) and which are an outage (reconnect)."""

from __future__ import annotations

from flow.errors import SourceAuthError, SourceError

from ._settings import FirestoreSettings

__all__ = ["permanent_error"]

_CREDENTIALS_FIX = (
    "set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, run "
    "`gcloud auth application-default login`, or point FIRESTORE_EMULATOR_HOST "
    "(or ?emulator=host:port) at a Firestore emulator"
)


def permanent_error(exc: BaseException, settings: FirestoreSettings) -> SourceError | None:
    """The SourceError to raise for ``exc``, or None when reconnecting may help.

    Messages name the redacted source and the fix; they never repeat the
    server's text verbatim beyond its short status message.
    """
    from google.api_core import exceptions as api
    from google.auth import exceptions as auth

    where = settings.redacted
    if isinstance(exc, SourceError):
        return exc
    if isinstance(exc, auth.DefaultCredentialsError):
        return SourceAuthError(f"{where}: no usable Google credentials ({exc}); {_CREDENTIALS_FIX}")
    if isinstance(exc, auth.RefreshError):
        return SourceAuthError(f"{where}: the credentials were refused ({exc}); {_CREDENTIALS_FIX}")
    cause = _api_cause(exc)
    if isinstance(cause, api.PermissionDenied | api.Unauthenticated):
        return SourceAuthError(
            f"{where}: Firestore refused access ({cause.message}); check that the credentials' "
            f"account may read this document, or {_CREDENTIALS_FIX}"
        )
    if isinstance(cause, api.InvalidArgument | api.OutOfRange):
        return SourceError(f"{where}: Firestore rejected the document path ({cause.message})")
    if isinstance(cause, api.NotFound | api.FailedPrecondition):
        return SourceError(
            f"{where}: Firestore cannot serve this source ({cause.message}); check the project "
            f"id and ?database= (now {settings.database!r})"
        )
    return None


def _api_cause(exc: BaseException) -> BaseException:
    """The API error behind ``exc``: the watch raises RuntimeError from the server's status."""
    from google.api_core import exceptions as api

    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, api.GoogleAPIError):
            return current
        current = current.__cause__ or current.__context__
    return exc
