"""Partitions: how an asset is split — static keys, time windows, and their products.

* :class:`StaticPartitions` — a fixed list of ``str`` (or ``int``) keys.
* :class:`HourlyPartitions`, :class:`DailyPartitions`, :class:`MonthlyPartitions` —
  time windows in a time zone. Keys are aware ``datetime`` (hourly, local start of the
  hour), ``date`` (daily) and ``date`` on the 1st (monthly). Windows are computed in the
  zone, so a daily window on a DST day lasts 23 or 25 hours, and the repeated hour of a
  fall-back night gives two hourly keys (``fold=0`` and ``fold=1``).
* :class:`MultiPartitions` — the product of named dimensions; keys are tuples in
  dimension order (a dict by dimension name is accepted and turned into the tuple).

``serialize_partition``/``parse_partition`` give the tagged text stored in the
metadata store; ``definition.parse(text)`` reads the human form a user types
(``2026-01-01``, ``2026-01``, ``2026-01-01T05:00``, ``2026-01-01|eu``).
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import PartitionError
from ._partition_codec import PartitionKey, describe_key, parse_partition, serialize_partition

__all__ = [
    "DailyPartitions",
    "HourlyPartitions",
    "MonthlyPartitions",
    "MultiPartitions",
    "PartitionKey",
    "PartitionsDefinition",
    "StaticPartitions",
    "TimeWindowPartitions",
    "describe_key",
    "parse_partition",
    "serialize_partition",
]


class PartitionsDefinition(ABC):
    """The set of partition keys of an asset."""

    @abstractmethod
    def keys(self, *, now: datetime | None = None) -> list[PartitionKey]:
        """Every key, in order (time windows: those complete by ``now``, default: now)."""

    @abstractmethod
    def validate(self, key: PartitionKey) -> PartitionKey:
        """``key`` normalized, or a :class:`PartitionError` saying why it is not one of these."""

    @abstractmethod
    def parse(self, text: str) -> PartitionKey:
        """The key a user wrote as ``text`` (human form; the tagged form is accepted too)."""

    @abstractmethod
    def format(self, key: PartitionKey) -> str:
        """The human form of ``key`` (what :meth:`parse` reads)."""

    def coerce(self, key: PartitionKey) -> PartitionKey:
        """A key from user input: strings are parsed unless they are keys themselves."""
        if isinstance(key, str) and not self._is_string_key(key):
            return self.parse(key)
        return self.validate(key)

    def range(self, first: PartitionKey, last: PartitionKey) -> list[PartitionKey]:
        """The keys from ``first`` to ``last`` inclusive, in order."""
        first, last = self.coerce(first), self.coerce(last)
        window = _between(self._range_keys(first, last), first, last)
        if not window:
            raise PartitionError(
                f"partition range {self.format(first)}..{self.format(last)} is empty: "
                "the first key must come before the last"
            )
        return window

    def _range_keys(self, first: PartitionKey, last: PartitionKey) -> Iterable[PartitionKey]:
        return self.keys()

    def _is_string_key(self, key: str) -> bool:
        return False

    def _tagged(self, text: str) -> PartitionKey:
        """``text`` read as a tagged key (``d:2026-01-01``), validated; or the error for ``why``."""
        return self.validate(parse_partition(text))


def _between(keys: Iterable[PartitionKey], first: PartitionKey, last: PartitionKey) -> list[Any]:
    out: list[Any] = []
    inside = False
    for key in keys:
        if key == first:
            inside = True
        if inside:
            out.append(key)
        if key == last:
            return out if inside else []
    return []


class StaticPartitions(PartitionsDefinition):
    """A fixed, ordered list of keys (strings or ints), e.g. regions."""

    def __init__(self, keys: Iterable[str | int]) -> None:
        self._keys = list(keys)
        if not self._keys:
            raise PartitionError("StaticPartitions needs at least one key")
        for key in self._keys:
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise PartitionError(
                    f"static partition key {key!r} must be a str or an int "
                    f"(got {type(key).__name__})"
                )
            serialize_partition(key)
        if len(set(self._keys)) != len(self._keys):
            dupes = sorted({str(k) for k in self._keys if self._keys.count(k) > 1})
            raise PartitionError(f"StaticPartitions has duplicate keys: {', '.join(dupes)}")
        self._set = set(self._keys)
        self._by_text = {str(k): k for k in self._keys}

    def __repr__(self) -> str:
        return f"StaticPartitions({self._keys!r})"

    def keys(self, *, now: datetime | None = None) -> list[PartitionKey]:
        return list(self._keys)

    def validate(self, key: PartitionKey) -> PartitionKey:
        if not isinstance(key, bool) and isinstance(key, (str, int)) and key in self._set:
            return key
        shown = ", ".join(map(str, self._keys[:10])) + (", ..." if len(self._keys) > 10 else "")
        raise PartitionError(f"partition {key!r} is not one of the static keys: {shown}")

    def parse(self, text: str) -> PartitionKey:
        if text in self._by_text:
            return self._by_text[text]
        if text[1:2] == ":":
            try:
                return self._tagged(text)
            except PartitionError:
                pass
        return self.validate(text)

    def format(self, key: PartitionKey) -> str:
        return str(self.validate(key))

    def _is_string_key(self, key: str) -> bool:
        return key in self._set


class TimeWindowPartitions(PartitionsDefinition):
    """Consecutive time windows of one length in one time zone, from ``start`` on."""

    unit: ClassVar[str]
    _human: ClassVar[str]

    def __init__(
        self,
        start: date | datetime | str,
        end: date | datetime | str | None = None,
        timezone: str = "UTC",
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PartitionError(
                f"unknown time zone {timezone!r} for {type(self).__name__}: "
                "use an IANA name such as 'UTC' or 'Europe/Berlin'"
            ) from None
        self.timezone = timezone
        self.start = self._boundary(start, "start")
        self.end = None if end is None else self._boundary(end, "end")
        if self.end is not None and self.end <= self.start:
            raise PartitionError(
                f"{type(self).__name__}: end {self.format(self.end)} must come after "
                f"start {self.format(self.start)}"
            )

    def __repr__(self) -> str:
        end = "" if self.end is None else f", end={self.format(self.end)!r}"
        return (
            f"{type(self).__name__}(start={self.format(self.start)!r}{end}, "
            f"timezone={self.timezone!r})"
        )

    # -- windows ----------------------------------------------------------------------
    @abstractmethod
    def _floor(self, moment: datetime) -> PartitionKey:
        """The key of the window that contains the aware local ``moment``."""

    @abstractmethod
    def _next(self, key: PartitionKey) -> PartitionKey:
        """The key of the following window."""

    @abstractmethod
    def _begin(self, key: PartitionKey) -> datetime:
        """The aware local datetime at which the window ``key`` starts."""

    def _instant(self, key: PartitionKey) -> datetime:
        # Aware datetimes sharing a tzinfo compare by wall time (fold ignored): compare in UTC.
        return self._begin(key).astimezone(UTC)

    def window(self, key: PartitionKey) -> tuple[datetime, datetime]:
        """The ``[start, end)`` of window ``key`` as aware datetimes in the time zone."""
        key = self.validate(key)
        return self._begin(key), self._begin(self._next(key))

    def keys(self, *, now: datetime | None = None) -> list[PartitionKey]:
        moment = (now or datetime.now(UTC)).astimezone(UTC)
        out: list[PartitionKey] = []
        key = self.start
        while self.end is None or self._instant(key) < self._instant(self.end):
            following = self._next(key)
            if self._instant(following) > moment:
                break
            out.append(key)
            key = following
        return out

    def _range_keys(self, first: PartitionKey, last: PartitionKey) -> Iterable[PartitionKey]:
        key = first
        limit = self._instant(last)
        while self._instant(key) <= limit:
            yield key
            key = self._next(key)

    # -- validation and text ------------------------------------------------------------
    def _check_window(self, key: PartitionKey) -> PartitionKey:
        if self._floor(self._begin(key)) != key:
            raise PartitionError(
                f"partition {describe_key(key)} is not the start of {self._human} window "
                f"in {self.timezone}"
            )
        if self._instant(key) < self._instant(self.start):
            raise PartitionError(
                f"partition {self.format(key)} is before the start {self.format(self.start)} "
                f"of {type(self).__name__}"
            )
        if self.end is not None and self._instant(key) >= self._instant(self.end):
            raise PartitionError(
                f"partition {self.format(key)} is at or after the end {self.format(self.end)} "
                f"of {type(self).__name__}"
            )
        return key

    def _boundary(self, value: date | datetime | str, what: str) -> PartitionKey:
        try:
            if isinstance(value, str):
                value = self._parse_text(value)
            if isinstance(value, datetime):
                local = value.replace(tzinfo=self.tz) if value.tzinfo is None else value
                return self._floor(local.astimezone(self.tz))
            if isinstance(value, date):
                return self._floor(datetime(value.year, value.month, value.day, tzinfo=self.tz))
        except PartitionError as exc:
            raise PartitionError(f"{type(self).__name__} {what}: {exc}") from None
        raise PartitionError(
            f"{type(self).__name__} {what} must be a date, datetime or ISO string, got {value!r}"
        )

    @abstractmethod
    def _parse_text(self, text: str) -> PartitionKey:
        """The key written in human form, without range checks."""

    def parse(self, text: str) -> PartitionKey:
        if text[1:2] == ":":
            return self._tagged(text)
        return self.validate(self._parse_text(text))


class DailyPartitions(TimeWindowPartitions):
    """One partition per calendar day in ``timezone``; keys are ``date`` objects."""

    unit = "day"
    _human = "a daily"

    def _floor(self, moment: datetime) -> PartitionKey:
        return moment.astimezone(self.tz).date()

    def _next(self, key: PartitionKey) -> PartitionKey:
        return key + timedelta(days=1)

    def _begin(self, key: PartitionKey) -> datetime:
        return datetime(key.year, key.month, key.day, tzinfo=self.tz)

    def validate(self, key: PartitionKey) -> PartitionKey:
        if isinstance(key, datetime) or not isinstance(key, date):
            raise PartitionError(
                f"daily partition keys are dates (datetime.date), got {type(key).__name__} "
                f"{key!r}; write e.g. date(2026, 1, 31) or '2026-01-31'"
            )
        return self._check_window(key)

    def _parse_text(self, text: str) -> PartitionKey:
        if len(text) == 10:
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        raise PartitionError(f"{text!r} is not a day: write YYYY-MM-DD")

    def format(self, key: PartitionKey) -> str:
        return str(key.isoformat())


class MonthlyPartitions(TimeWindowPartitions):
    """One partition per calendar month in ``timezone``; keys are ``date`` on the 1st."""

    unit = "month"
    _human = "a monthly"

    def _floor(self, moment: datetime) -> PartitionKey:
        local = moment.astimezone(self.tz)
        return date(local.year, local.month, 1)

    def _next(self, key: PartitionKey) -> PartitionKey:
        return date(key.year + key.month // 12, key.month % 12 + 1, 1)

    def _begin(self, key: PartitionKey) -> datetime:
        return datetime(key.year, key.month, key.day, tzinfo=self.tz)

    def validate(self, key: PartitionKey) -> PartitionKey:
        if isinstance(key, datetime) or not isinstance(key, date):
            raise PartitionError(
                f"monthly partition keys are dates on the 1st, got {type(key).__name__} {key!r}; "
                "write e.g. date(2026, 1, 1) or '2026-01'"
            )
        return self._check_window(key)

    def _parse_text(self, text: str) -> PartitionKey:
        try:
            if len(text) == 7:
                return date.fromisoformat(text + "-01")
            if len(text) == 10:
                return date.fromisoformat(text)
        except ValueError:
            pass
        raise PartitionError(f"{text!r} is not a month: write YYYY-MM")

    def format(self, key: PartitionKey) -> str:
        return f"{key.year:04d}-{key.month:02d}"


class HourlyPartitions(TimeWindowPartitions):
    """One partition per hour; keys are aware datetimes in ``timezone`` (DST-correct)."""

    unit = "hour"
    _human = "an hourly"

    def _floor(self, moment: datetime) -> PartitionKey:
        # Step in UTC so the repeated hour of a fall-back night is two windows, and the
        # skipped hour of a spring-forward night is none.
        utc = moment.astimezone(UTC)
        local = utc.astimezone(self.tz)
        floored = utc - timedelta(
            minutes=local.minute, seconds=local.second, microseconds=local.microsecond
        )
        return floored.astimezone(self.tz)

    def _next(self, key: PartitionKey) -> PartitionKey:
        return (key.astimezone(UTC) + timedelta(hours=1)).astimezone(self.tz)

    def _begin(self, key: PartitionKey) -> datetime:
        return key  # type: ignore[no-any-return]

    def validate(self, key: PartitionKey) -> PartitionKey:
        if not isinstance(key, datetime) or key.tzinfo is None:
            raise PartitionError(
                f"hourly partition keys are timezone-aware datetimes, got {key!r}; write e.g. "
                f"datetime(2026, 1, 31, 5, tzinfo=ZoneInfo({self.timezone!r})) "
                "or '2026-01-31T05:00'"
            )
        return self._check_window(key.astimezone(self.tz))

    def _parse_text(self, text: str) -> PartitionKey:
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise PartitionError(
                f"{text!r} is not an hour: write YYYY-MM-DDTHH:00 (optionally with an offset)"
            ) from None
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.tz)
        return value.astimezone(self.tz)

    def format(self, key: PartitionKey) -> str:
        return str(key.isoformat(timespec="minutes"))


class MultiPartitions(PartitionsDefinition):
    """The product of named dimensions, e.g. ``{"date": DailyPartitions(...), "region": ...}``.

    Keys are tuples in dimension order; a dict by dimension name is accepted.
    """

    separator = "|"

    def __init__(self, dimensions: Mapping[str, PartitionsDefinition]) -> None:
        if len(dimensions) < 2:
            raise PartitionError("MultiPartitions needs at least two dimensions")
        for name, dimension in dimensions.items():
            if not isinstance(dimension, PartitionsDefinition) or isinstance(
                dimension, MultiPartitions
            ):
                raise PartitionError(
                    f"MultiPartitions dimension {name!r} must be a static or time-window "
                    f"partitions definition, got {dimension!r}"
                )
        self.dimensions = dict(dimensions)
        self.names = tuple(self.dimensions)

    def __repr__(self) -> str:
        return f"MultiPartitions({self.dimensions!r})"

    def keys(self, *, now: datetime | None = None) -> list[PartitionKey]:
        per_dim = [d.keys(now=now) for d in self.dimensions.values()]
        return list(itertools.product(*per_dim))

    def validate(self, key: PartitionKey) -> PartitionKey:
        if isinstance(key, Mapping):
            missing = [n for n in self.names if n not in key]
            extra = [str(n) for n in key if n not in self.dimensions]
            if missing or extra:
                raise PartitionError(
                    f"multi-partition key {key!r}: missing dimensions {missing}, unknown "
                    f"{extra}; expected exactly {list(self.names)}"
                )
            key = tuple(key[n] for n in self.names)
        if not isinstance(key, tuple) or len(key) != len(self.names):
            raise PartitionError(
                f"multi-partition key {key!r} must be a tuple of {len(self.names)} values "
                f"({', '.join(self.names)}) or a dict by dimension name"
            )
        return tuple(
            self._check_dim(name, dim, part)
            for (name, dim), part in zip(self.dimensions.items(), key, strict=True)
        )

    @staticmethod
    def _check_dim(name: str, dim: PartitionsDefinition, part: PartitionKey) -> PartitionKey:
        try:
            return dim.coerce(part) if isinstance(part, str) else dim.validate(part)
        except PartitionError as exc:
            raise PartitionError(f"dimension {name!r}: {exc}") from None

    def parse(self, text: str) -> PartitionKey:
        if text[:2] in ("T:", "M:"):
            return self._tagged(text)
        parts = text.split(self.separator)
        if len(parts) != len(self.names):
            raise PartitionError(
                f"{text!r} is not a multi-partition key: write {len(self.names)} parts joined "
                f"by {self.separator!r} ({self.separator.join(self.names)}), or the tagged form"
            )
        return self.validate(tuple(parts))

    def format(self, key: PartitionKey) -> str:
        key = self.validate(key)
        return self.separator.join(
            d.format(k) for d, k in zip(self.dimensions.values(), key, strict=True)
        )

    def range(self, first: PartitionKey, last: PartitionKey) -> list[PartitionKey]:
        """Every key whose parts lie in the per-dimension ranges ``first..last``."""
        first, last = self.coerce(first), self.coerce(last)
        per_dim = [
            d.range(f, t) for d, f, t in zip(self.dimensions.values(), first, last, strict=True)
        ]
        return list(itertools.product(*per_dim))
