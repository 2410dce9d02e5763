"""Partitions: static, time windows with zones and DST, multi, and the tagged round trip."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flow.assets import (
    DailyPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    MultiPartitions,
    StaticPartitions,
    parse_partition,
    serialize_partition,
)
from flow.errors import PartitionError
from hypothesis import given, settings
from hypothesis import strategies as st

BERLIN = ZoneInfo("Europe/Berlin")

# -- tagged serialization ----------------------------------------------------------------------
texts = st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=["Cs"]))
tricky = st.sampled_from(["s:", "d:2026-01-01", "T:[]", "|", "@", "|1", ":", "[", '"', "\\", "/"])
strings = st.one_of(texts, tricky, st.builds(lambda a, b: a + b, tricky, texts))
aware = st.datetimes(timezones=st.timezones(), allow_imaginary=False)
fixed = st.datetimes(
    timezones=st.builds(
        timezone,
        st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(
            lambda d: timedelta(minutes=d // timedelta(minutes=1))
        ),
    )
)
scalars = st.one_of(strings, st.integers(), st.dates(), aware, fixed, st.datetimes())
keys = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(strings, inner, min_size=1, max_size=3),
    ),
    max_leaves=8,
)


def _same(a: Any, b: Any) -> bool:
    """Equal, of the same types, and for datetimes with the same tzinfo and fold."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, datetime):
        assert isinstance(b, datetime)
        return (
            a.replace(tzinfo=None) == b.replace(tzinfo=None)
            and a.utcoffset() == b.utcoffset()
            and a.fold == b.fold
            and (a.tzinfo is b.tzinfo or a.tzinfo == b.tzinfo)
        )
    return bool(a == b)


@settings(max_examples=400)
@given(keys)
def test_round_trip_is_exact(key: object) -> None:
    text = serialize_partition(key)
    back = parse_partition(text)
    assert _same(back, key), (key, text, back)
    assert serialize_partition(back) == text


@given(strings)
def test_strings_and_dates_never_collide(text: str) -> None:
    day = date(2026, 1, 1)
    assert serialize_partition(text) != serialize_partition(day)
    assert serialize_partition("2026-01-01") != serialize_partition(day)
    assert parse_partition(serialize_partition("2026-01-01")) == "2026-01-01"


def test_fold_and_zone_are_kept() -> None:
    first = datetime(2026, 10, 25, 2, 30, tzinfo=BERLIN)
    second = first.replace(fold=1)
    a, b = serialize_partition(first), serialize_partition(second)
    assert a != b
    assert parse_partition(b).fold == 1
    assert parse_partition(a).tzinfo is BERLIN


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2026-01-01",
        "x:1",
        "d:2026-1-1",
        "d:2026-13-01",
        "i:1.5",
        "i:+3",
        "i:٣",
        "t:nonsense",
        "t:2026-01-01T00:00@No/Such_Zone",
        "T:{}",
        "T:[1]",
        "M:[]",
        "T:[",
        "s",
    ],
)
def test_bad_serialized_keys_are_clear_errors(bad: str) -> None:
    with pytest.raises(PartitionError, match="cannot parse partition key"):
        parse_partition(bad)


@pytest.mark.parametrize("bad", [True, 1.5, None, b"x", [1], {1: "a"}, "nul\x00"])
def test_unsupported_keys_are_refused(bad: object) -> None:
    with pytest.raises(PartitionError):
        serialize_partition(bad)


# -- definitions --------------------------------------------------------------------------------
def test_static_partitions() -> None:
    regions = StaticPartitions(["eu", "us", 3])
    assert regions.keys() == ["eu", "us", 3]
    assert regions.coerce("eu") == "eu"
    assert regions.coerce("3") == 3
    assert regions.range("eu", 3) == ["eu", "us", 3]
    with pytest.raises(PartitionError, match="not one of the static keys"):
        regions.validate("asia")
    with pytest.raises(PartitionError, match="duplicate"):
        StaticPartitions(["a", "a"])
    with pytest.raises(PartitionError, match="at least one"):
        StaticPartitions([])


def test_daily_keys_range_and_errors() -> None:
    daily = DailyPartitions("2026-01-01", end="2026-01-05", timezone="Europe/Berlin")
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert daily.keys(now=now) == [date(2026, 1, d) for d in range(1, 5)]
    assert daily.parse("2026-01-02") == date(2026, 1, 2)
    assert daily.range("2026-01-02", "2026-01-03") == [date(2026, 1, 2), date(2026, 1, 3)]
    with pytest.raises(PartitionError, match="before the start"):
        daily.validate(date(2025, 12, 31))
    with pytest.raises(PartitionError, match="at or after the end"):
        daily.validate(date(2026, 1, 5))
    with pytest.raises(PartitionError, match="not a day"):
        daily.parse("2026/01/02")
    with pytest.raises(PartitionError, match="dates"):
        daily.validate(datetime(2026, 1, 2, tzinfo=UTC))
    with pytest.raises(PartitionError, match="empty"):
        daily.range("2026-01-03", "2026-01-02")
    with pytest.raises(PartitionError, match="unknown time zone"):
        DailyPartitions("2026-01-01", timezone="Mars/Base")


def test_daily_window_spans_23_hours_on_spring_forward() -> None:
    daily = DailyPartitions("2026-03-01", timezone="Europe/Berlin")
    start, end = daily.window(date(2026, 3, 29))
    assert start.tzinfo is BERLIN
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)
    start, end = daily.window(date(2026, 10, 25))
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=25)


def test_daily_keys_follow_the_zone_not_utc() -> None:
    daily = DailyPartitions("2026-01-01", timezone="Pacific/Auckland")
    # 2026-01-01T12:00Z is already the 2nd in Auckland: the 1st is complete there.
    assert daily.keys(now=datetime(2026, 1, 1, 12, tzinfo=UTC)) == [date(2026, 1, 1)]
    assert daily.keys(now=datetime(2026, 1, 1, 10, tzinfo=UTC)) == []


def test_hourly_partitions_across_dst() -> None:
    hourly = HourlyPartitions("2026-10-25T00:00", timezone="Europe/Berlin")
    keys = hourly.range("2026-10-25T00:00", "2026-10-25T04:00")
    walls = [(k.hour, k.fold) for k in keys]
    assert walls == [(0, 0), (1, 0), (2, 0), (2, 1), (3, 0), (4, 0)]
    for key in keys:
        assert parse_partition(serialize_partition(key)) == key
    spring = HourlyPartitions("2026-03-29T00:00", timezone="Europe/Berlin")
    hours = [k.hour for k in spring.range("2026-03-29T00:00", "2026-03-29T04:00")]
    assert hours == [0, 1, 3, 4]
    with pytest.raises(PartitionError, match="not the start"):
        hourly.validate(datetime(2026, 10, 25, 5, 30, tzinfo=BERLIN))
    with pytest.raises(PartitionError, match="timezone-aware"):
        hourly.validate(datetime(2026, 10, 25, 5))


def test_monthly_partitions() -> None:
    monthly = MonthlyPartitions("2025-11", timezone="UTC")
    assert monthly.range("2025-11", "2026-02") == [
        date(2025, 11, 1),
        date(2025, 12, 1),
        date(2026, 1, 1),
        date(2026, 2, 1),
    ]
    assert monthly.format(date(2026, 2, 1)) == "2026-02"
    with pytest.raises(PartitionError, match="not the start"):
        monthly.validate(date(2026, 1, 15))


def test_multi_partitions() -> None:
    multi = MultiPartitions(
        {
            "date": DailyPartitions("2026-01-01", end="2026-01-03"),
            "region": StaticPartitions(["eu", "us"]),
        }
    )
    assert len(multi.keys(now=datetime(2030, 1, 1, tzinfo=UTC))) == 4
    key = multi.parse("2026-01-02|us")
    assert key == (date(2026, 1, 2), "us")
    assert multi.validate({"region": "us", "date": date(2026, 1, 2)}) == key
    assert multi.format(key) == "2026-01-02|us"
    assert multi.parse(serialize_partition(key)) == key
    assert multi.range("2026-01-01|eu", "2026-01-02|eu") == [
        (date(2026, 1, 1), "eu"),
        (date(2026, 1, 2), "eu"),
    ]
    with pytest.raises(PartitionError, match="dimension 'region'"):
        multi.validate((date(2026, 1, 2), "asia"))
    with pytest.raises(PartitionError, match="missing dimensions"):
        multi.validate({"date": date(2026, 1, 2)})
    with pytest.raises(PartitionError, match="2 parts"):
        multi.parse("2026-01-02")
