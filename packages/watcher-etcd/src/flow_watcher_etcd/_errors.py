"""Which etcd failures are permanent (raise a ``SourceError``) and which are retried."""

from __future__ import annotations

from aetcd.exceptions import ClientError  # type: ignore[import-untyped]
from flow.errors import SourceAuthError, SourceError
from grpc import StatusCode  # type: ignore[import-untyped]
from grpc.aio import AioRpcError  # type: ignore[import-untyped]

from ._config import EtcdConfig
from ._session import StreamLost

__all__ = ["EtcdAuthError", "is_connection_failure", "permanent_error", "rpc_status"]

#: Failures of the connection or the server (anything else is a bug, and is raised).
_CONNECTION_FAILURES = (AioRpcError, ClientError, StreamLost, TimeoutError, ConnectionError)


class EtcdAuthError(SourceAuthError):
    """etcd refused the credentials, asked for some, or denied access to the key."""


def is_connection_failure(exc: BaseException) -> bool:
    """True for errors of the connection or the server (see :func:`permanent_error`)."""
    return isinstance(exc, _CONNECTION_FAILURES)


def rpc_status(exc: BaseException) -> tuple[StatusCode | None, str]:
    """The gRPC status code and server message behind ``exc`` (aetcd wraps them)."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, AioRpcError):
            return current.code(), str(current.details() or "")
        current = current.__cause__ or current.__context__
    return None, str(exc)


def permanent_error(exc: BaseException, config: EtcdConfig) -> SourceError | None:
    """The ``SourceError`` to raise for ``exc``, or None when reconnecting may help.

    Connection loss, timeouts, a server that is starting or stopping, and an
    expired auth token (a new connection authenticates again) are retried.
    Refused credentials and denied access are not: retrying cannot fix them.
    """
    code, details = rpc_status(exc)
    where = f"{config.display} (key {config.key_text!r})"
    user = f"user {config.username!r}" if config.username else "no user"
    if "authentication failed" in details:
        return EtcdAuthError(
            f"etcd refused the credentials of {user} for {where}: {details}; check the user "
            "name and password in the URI or in ETCD_USERNAME/ETCD_PASSWORD"
        )
    if "user name is empty" in details:
        return EtcdAuthError(
            f"etcd at {where} has authentication enabled and no credentials were given; "
            "use etcd://user:password@host/key or set ETCD_USERNAME and ETCD_PASSWORD"
        )
    if code == StatusCode.PERMISSION_DENIED or "permission denied" in details:
        return EtcdAuthError(
            f"etcd denied {user} read access to {where}: {details}; grant a role with read "
            "permission on this key (etcdctl role grant-permission ROLE read KEY)"
        )
    if "authentication is not enabled" in details:
        return EtcdAuthError(
            f"credentials were given for {where}, but that etcd server has authentication "
            "disabled; remove them from the URI and environment, or enable auth on the server"
        )
    return None
