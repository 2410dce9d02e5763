"""Which failures are permanent (a :class:`~flow.SourceError`) and which are retried.

Retried, with backoff: connection errors, timeouts, 429 and 5xx answers (a
leader election, a restart, an overloaded server). Permanent: 403 (the ACL
token), other 4xx answers, and TLS certificate failures. Two more are
permanent only before the first good answer, because then they almost always
mean a mistake in the URI rather than an outage: "No path to datacenter"
(a misspelt ``?dc=``) and an answer without ``X-Consul-Index`` (not a Consul
agent at that address).
"""

from __future__ import annotations

import aiohttp
from flow.errors import SourceAuthError, SourceError

from ._http import Answer
from ._settings import ConsulSettings

__all__ = ["answer_error", "connection_error"]

_RETRIED_STATUSES = frozenset({429})


def answer_error(answer: Answer, settings: ConsulSettings, *, ever_ok: bool) -> SourceError | None:
    """The permanent error this answer means, or None (a good answer, or one worth retrying)."""
    where = settings.redacted
    if answer.status in (200, 404):  # the hot path: no need to look at the body
        if answer.index is None and not ever_ok:
            return SourceError(
                f"{where}: the server at {settings.base_url} answered without an "
                "X-Consul-Index header, so it is not a Consul agent (or a proxy strips the "
                "header); check the host, port and ?scheme="
            )
        return None
    reason = _reason(answer.body, settings)
    if answer.status == 403:
        return SourceAuthError(
            f"{where}: Consul refused {_token_text(settings)} ({reason}); give a token "
            f"with key:read on {settings.key!r} as ?token=… or in CONSUL_HTTP_TOKEN"
        )
    if answer.status >= 500 or answer.status in _RETRIED_STATUSES:
        if "no path to datacenter" in reason.lower() and not ever_ok:
            return SourceError(
                f"{where}: Consul knows no datacenter {settings.dc!r} ({reason}); "
                "fix ?dc= (or leave it out for the agent's own datacenter)"
            )
        return None
    return SourceError(
        f"{where}: Consul refused the request with HTTP {answer.status} ({reason}); "
        "check the key and the URI's options"
    )


def connection_error(exc: BaseException, settings: ConsulSettings) -> SourceError | None:
    """The permanent error a failed connection means (TLS set up wrongly), or None to retry."""
    where = settings.redacted
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return SourceError(
            f"{where}: the certificate of {settings.base_url} is not trusted "
            f"({exc.certificate_error}); give its CA bundle as ?ca=FILE or in CONSUL_CACERT "
            "(tls_verify=0 turns checking off, for test agents only)"
        )
    if isinstance(exc, aiohttp.ClientConnectorSSLError):
        return SourceError(
            f"{where}: TLS with {settings.base_url} failed ({exc.os_error}); "
            "is the agent serving HTTPS on that port? Use ?scheme=http for a plain HTTP port"
        )
    return None


def _token_text(settings: ConsulSettings) -> str:
    if settings.token_source:
        return f"the ACL token from {settings.token_source}"
    return "the request: no ACL token was given"


def _reason(body: bytes, settings: ConsulSettings) -> str:
    """The server's message, one short line, with the token scrubbed out just in case."""
    text = body.decode("utf-8", "replace").strip().splitlines()
    line = text[0][:200] if text else "no message"
    if settings.token:
        line = line.replace(settings.token, "***")
    return line
