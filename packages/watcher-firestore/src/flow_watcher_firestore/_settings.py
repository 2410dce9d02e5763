"""``FirestoreSettings``: what a ``firestore://`` URI asks for, validated before anything connects.

Format: ``firestore://<project>/<collection>/<doc>[/<collection>/<doc>…]`` with
the options ``field`` (watch one field), ``database`` (a named database; the
default is ``(default)``), ``emulator`` (``host:port`` of a Firestore
emulator, instead of the ``FIRESTORE_EMULATOR_HOST`` environment variable) and
``timeout`` (seconds a new subscription may take to deliver its first snapshot)
and ``resync`` (seconds after which a subscription is replaced by a fresh one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flow.errors import SourceURIError
from flow.live.uri import SourceURI

__all__ = ["DEFAULT_DATABASE", "DEFAULT_RESYNC", "DEFAULT_TIMEOUT", "OPTIONS", "FirestoreSettings"]

DEFAULT_DATABASE = "(default)"
DEFAULT_TIMEOUT = 10.0
DEFAULT_RESYNC = 300.0
OPTIONS = ("field", "database", "emulator", "timeout", "resync")
_EXAMPLE = "firestore://my-project/settings/app?field=features"
# Project ids are lowercase letters, digits and hyphens (Google Cloud's rule, minus the length
# limits, which the emulator does not apply: "demo-1" and "p" both work there).
_PROJECT = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_DATABASE = re.compile(r"^(\(default\)|[a-z][a-z0-9-]{0,62})$")
_EMULATOR = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")


@dataclass(frozen=True, slots=True)
class FirestoreSettings:
    """A validated ``firestore://`` source: project, document path and options."""

    project: str
    document: str
    field: str | None
    database: str
    emulator: str | None
    redacted: str
    timeout: float = DEFAULT_TIMEOUT
    resync: float = DEFAULT_RESYNC

    @classmethod
    def from_uri(cls, uri: str | SourceURI) -> FirestoreSettings:
        """Parse and check ``uri``; a malformed one raises :class:`~flow.SourceURIError`."""
        source = uri if isinstance(uri, SourceURI) else SourceURI.parse(uri)
        where = source.redacted
        if source.scheme != "firestore":
            raise SourceURIError(f"{where} is not a firestore: URI; use e.g. {_EXAMPLE}")
        source.check_options(OPTIONS)
        if source.username is not None or source.password is not None:
            raise SourceURIError(
                f"{where}: firestore: URIs take no credentials; the client reads them from "
                "GOOGLE_APPLICATION_CREDENTIALS or Application Default Credentials"
            )
        return cls(
            project=_project(source, where),
            document=_document(source.path, where),
            field=_field(source.option("field"), where),
            database=_database(source.option("database"), where),
            emulator=_emulator(source.option("emulator"), where),
            redacted=where,
            timeout=source.seconds("timeout", DEFAULT_TIMEOUT),
            resync=source.seconds("resync", DEFAULT_RESYNC),
        )


def _project(source: SourceURI, where: str) -> str:
    if source.port is not None:
        raise SourceURIError(
            f"{where}: the host part is the project id, not a server address; "
            "give the emulator as ?emulator=host:port"
        )
    project = source.host or ""
    if not _PROJECT.match(project):
        raise SourceURIError(
            f"{where}: missing or invalid project id {project!r} (lowercase letters, digits "
            f"and hyphens); use e.g. {_EXAMPLE}"
        )
    return project


def _document(path: str, where: str) -> str:
    segments = path.strip("/").split("/") if path.strip("/") else []
    if len(segments) < 2 or len(segments) % 2:
        raise SourceURIError(
            f"{where}: the path must name a document, <collection>/<doc> (optionally followed "
            f"by more <collection>/<doc> pairs), got {path or '/'!r}; use e.g. {_EXAMPLE}"
        )
    for segment in segments:
        if segment in {"", ".", ".."}:
            raise SourceURIError(
                f"{where}: empty, '.' or '..' segment in the document path {path!r}"
            )
    return "/".join(segments)


def _field(field: str | None, where: str) -> str | None:
    if field is None:
        return None
    from google.cloud.firestore_v1.field_path import FieldPath  # only when a field is asked for

    try:
        FieldPath.from_string(field)
    except ValueError as exc:
        raise SourceURIError(
            f"{where}: invalid field path {field!r} ({exc}); use dotted names such as "
            "field=a.b, with `backticks` around names that contain other characters"
        ) from None
    return field


def _database(database: str | None, where: str) -> str:
    if database is None:
        return DEFAULT_DATABASE
    if not _DATABASE.match(database):
        raise SourceURIError(
            f"{where}: invalid database id {database!r}; use lowercase letters, digits and "
            "hyphens, or leave the option out for (default)"
        )
    return database


def _emulator(emulator: str | None, where: str) -> str | None:
    if emulator is None:
        return None
    match = _EMULATOR.match(emulator)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise SourceURIError(
            f"{where}: emulator={emulator!r} is not host:port; use e.g. emulator=127.0.0.1:8080"
        )
    return emulator
