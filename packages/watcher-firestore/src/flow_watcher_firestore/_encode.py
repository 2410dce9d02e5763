"""Firestore values as bytes: the whole document as deterministic JSON, or one field.

JSON mapping of Firestore types (the same choices as Firestore's own REST
JSON where one exists):

=============  =====================================================
Firestore      JSON
=============  =====================================================
null, boolean  ``null``, ``true``/``false``
integer        number (exact: 64-bit integers are not rounded)
double         number; NaN and ±Infinity as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``
string         string
bytes          string, standard base64 with padding
timestamp      string, RFC 3339 in UTC (``2024-05-01T12:00:00.123456Z``)
geopoint       ``{"latitude": …, "longitude": …}``
reference      string, the document path (``users/alice``)
array, vector  array
map            object
=============  =====================================================

Output is compact (no spaces), keys sorted, UTF-8 without ``\\u`` escapes,
so equal documents always give equal bytes.
"""

from __future__ import annotations

import base64
import datetime
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from flow.errors import SourceTypeError
from google.cloud.firestore_v1 import GeoPoint
from google.cloud.firestore_v1.base_document import BaseDocumentReference, DocumentSnapshot

__all__ = ["document_bytes", "field_bytes", "json_bytes", "snapshot_bytes"]


def snapshot_bytes(snapshot: DocumentSnapshot[Any], field: str | None, where: str) -> bytes | None:
    """The bytes a watcher yields for ``snapshot``: the document, or ``field`` (None if absent)."""
    if not snapshot.exists:
        return None
    if field is None:
        return document_bytes(snapshot.to_dict() or {}, where)
    try:
        value = snapshot.get(field)
    except KeyError:
        return None  # the document exists without this field: absent, like a missing key
    return field_bytes(value, f"{where} (field {field})")


def document_bytes(data: Mapping[str, Any], where: str) -> bytes:
    """A document's fields as compact JSON with sorted keys."""
    return json_bytes(data, where)


def field_bytes(value: Any, where: str) -> bytes:
    """One field: a string as UTF-8, bytes as they are, anything else as JSON."""
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    return json_bytes(value, where)


def json_bytes(value: Any, where: str) -> bytes:
    """``value`` (decoded Firestore data) as deterministic JSON bytes."""
    text = json.dumps(
        _plain(value, where),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
    )
    return text.encode("utf-8")


def _plain(value: Any, where: str) -> Any:
    """``value`` with every Firestore type replaced by its JSON form (see the module table)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _special_float(value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item, where) for key, item in value.items()}
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        return _timestamp(value)
    if isinstance(value, GeoPoint):
        return {"latitude": value.latitude, "longitude": value.longitude}
    if isinstance(value, BaseDocumentReference):
        return value.path
    if isinstance(value, Sequence):  # arrays (lists) and vectors (a Sequence of floats)
        return [_plain(item, where) for item in value]
    raise SourceTypeError(
        f"{where} holds a Firestore value of type {type(value).__name__}, which "
        "flow-watcher-firestore cannot encode; watch another field with ?field="
    )


def _special_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def _timestamp(value: datetime.datetime) -> str:
    # The client decodes timestamps as DatetimeWithNanoseconds, whose rfc3339() keeps nanoseconds.
    rfc3339 = getattr(value, "rfc3339", None)
    if callable(rfc3339):
        return str(rfc3339())
    utc = value.astimezone(datetime.UTC) if value.tzinfo else value
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
