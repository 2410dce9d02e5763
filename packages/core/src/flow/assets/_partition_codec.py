"""The tagged text form of partition keys: exact round trip, no guessing from shape.

Every serialized key starts with a one-letter tag and a colon, so the string
``"2026-01-01"`` (``s:2026-01-01``) and the date 2026-01-01 (``d:2026-01-01``)
never collide::

    s:<text>                  str (any text except NUL)
    i:<digits>                int
    d:YYYY-MM-DD              date
    t:<iso>[@Zone][|1]        datetime: naive or fixed offset as ISO 8601; a ZoneInfo
                              zone as local wall time + "@" + zone key; "|1" = fold=1
    T:[...]                   tuple: a JSON list of serialized elements
    M:{...}                   dict (multi-dimensional key): a JSON object of serialized values

Written by hand because no library offers a tagged, exact, readable encoding of
exactly these types (JSON loses date vs. string; pickle is neither readable nor safe).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import PartitionError

__all__ = ["PartitionKey", "describe_key", "parse_partition", "serialize_partition"]

#: What a partition key may be (tuples and dicts nest these).
PartitionKey = Any

_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TAGS = "s:, i:, d:, t:, T: or M:"
_KINDS = "str, int, date, datetime, or tuples/dicts of those"


def serialize_partition(key: PartitionKey) -> str:
    """The tagged text of ``key``; :func:`parse_partition` gives back an equal key."""
    if isinstance(key, bool):
        raise PartitionError(f"partition key {key!r} is a bool; partition keys are {_KINDS}")
    if isinstance(key, str):
        if "\x00" in key:
            raise PartitionError(f"partition key {key!r} contains a NUL character; remove it")
        return "s:" + key
    if isinstance(key, int):
        return f"i:{key}"
    if isinstance(key, datetime):
        return "t:" + _datetime_text(key)
    if isinstance(key, date):
        return "d:" + key.isoformat()
    if isinstance(key, tuple):
        return "T:" + _dumps([serialize_partition(item) for item in key])
    if isinstance(key, dict):
        for name in key:
            if not isinstance(name, str):
                raise PartitionError(
                    f"partition key {key!r}: dimension names must be strings, got {name!r}"
                )
        return "M:" + _dumps({name: serialize_partition(value) for name, value in key.items()})
    raise PartitionError(
        f"partition key {key!r} has type {type(key).__name__}; partition keys are {_KINDS}"
    )


def parse_partition(text: str) -> PartitionKey:
    """The key whose tagged text is ``text`` (see :func:`serialize_partition`)."""
    if not isinstance(text, str):
        raise PartitionError(f"a serialized partition key is a str, got {type(text).__name__}")
    tag, sep, body = text[:1], text[1:2], text[2:]
    if sep != ":":
        raise PartitionError(_bad(text, f"it does not start with a tag ({_TAGS})"))
    try:
        return _PARSERS[tag](body)
    except KeyError:
        raise PartitionError(_bad(text, f"unknown tag {tag + ':'!r}; expected {_TAGS}")) from None
    except PartitionError as exc:
        raise PartitionError(_bad(text, str(exc))) from None
    except (ValueError, TypeError, ZoneInfoNotFoundError) as exc:
        raise PartitionError(_bad(text, str(exc) or type(exc).__name__)) from None


def describe_key(key: PartitionKey) -> str:
    """A short human form of ``key`` for messages and tables (not for round trips)."""
    if isinstance(key, tuple):
        return "|".join(describe_key(k) for k in key)
    if isinstance(key, dict):
        return "|".join(f"{n}={describe_key(v)}" for n, v in key.items())
    if isinstance(key, datetime):
        return key.isoformat()
    return str(key)


def _bad(text: str, why: str) -> str:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return f"cannot parse partition key {shown!r}: {why}"


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _datetime_text(value: datetime) -> str:
    tz = value.tzinfo
    if isinstance(tz, ZoneInfo):
        text = value.replace(tzinfo=None).isoformat() + "@" + tz.key
    elif tz is None or isinstance(tz, timezone):
        text = value.replace(fold=0).isoformat()
    else:
        # Other tzinfo implementations (pytz, dateutil) have no portable name: keep the offset.
        offset = timezone(value.utcoffset() or timedelta())
        text = value.replace(fold=0).astimezone(offset).isoformat()
    return text + "|1" if value.fold else text


def _parse_str(body: str) -> str:
    return body


def _parse_int(body: str) -> int:
    if not _INT.fullmatch(body):
        raise PartitionError(f"{body!r} is not an integer")
    return int(body)


def _parse_date(body: str) -> date:
    if not _DATE.fullmatch(body):
        raise PartitionError(f"{body!r} is not a YYYY-MM-DD date")
    return date.fromisoformat(body)


def _parse_datetime(body: str) -> datetime:
    fold = 0
    if body.endswith("|1"):
        body, fold = body[:-2], 1
    wall, at, zone = body.partition("@")
    value = datetime.fromisoformat(wall)
    if at:
        if value.tzinfo is not None:
            raise PartitionError(f"{body!r} has both an offset and a zone")
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.replace(fold=fold)


def _parse_tuple(body: str) -> tuple[PartitionKey, ...]:
    items = json.loads(body)
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise PartitionError("a tuple key must be a JSON list of serialized keys")
    return tuple(parse_partition(item) for item in items)


def _parse_dict(body: str) -> dict[str, PartitionKey]:
    items = json.loads(body)
    if not isinstance(items, dict) or not all(isinstance(v, str) for v in items.values()):
        raise PartitionError("a multi-dimensional key must be a JSON object of serialized keys")
    return {name: parse_partition(value) for name, value in items.items()}


_PARSERS = {
    "s": _parse_str,
    "i": _parse_int,
    "d": _parse_date,
    "t": _parse_datetime,
    "T": _parse_tuple,
    "M": _parse_dict,
}
