"""Hiding secrets in addresses: one rule for every URI and URL Flow prints.

Floor 0, so the metadata store (which may not import ``flow.live``) and the
live sources share it.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["MASK", "SECRET_OPTION", "redact"]

#: What a hidden secret is shown as.
MASK = "***"
#: Query options (and config keys) whose values are secrets and are always hidden.
SECRET_OPTION = re.compile(r"(pass(word|wd)?|token|secret|api[_-]?key|credentials?)", re.I)


def redact(uri: str) -> str:
    """``uri`` with any userinfo password and secret-looking query values replaced by ``***``."""
    try:
        parts = urlsplit(uri)
    except ValueError:
        return re.sub(r"//[^@/]*@", "//" + MASK + "@", uri)
    netloc = parts.netloc
    secret_query = any(SECRET_OPTION.search(k) for k, _ in parse_qsl(parts.query))
    if "@" not in netloc and not secret_query:
        return uri  # nothing to hide: keep the user's spelling (file:app.yaml stays as is)
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        # A lone userinfo is often a token (nats://TOKEN@host), so it is masked too.
        netloc = f"{user}:{MASK}@{hostport}" if sep else f"{MASK}@{hostport}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{quote(k)}={MASK if SECRET_OPTION.search(k) else quote(v, safe='/,:')}"
            for k, v in pairs
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
