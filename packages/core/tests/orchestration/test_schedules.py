"""Schedule definitions: validation, time zones across DST, the decorator."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flow.assets.schedules import MAX_CATCH_UP, Schedule, default_schedules, schedule
from flow.errors import AssetDefinitionError

NY = ZoneInfo("America/New_York")


def _fires(item: Schedule, start: datetime, count: int) -> list[datetime]:
    out, moment = [], start
    for _ in range(count):
        moment = item.next_fire(moment)
        out.append(moment)
    return out


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"cron": "61 * * * *"}, "not a valid cron expression"),
        ({"cron": "every day"}, "e.g. '0 6 \\* \\* \\*'"),
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"targets": ()}, "targets is empty"),
        ({"targets": ("../etc",)}, "path traversal"),
        ({"catch_up": "some"}, "use one of latest, all, skip"),
        ({"name": "bad name"}, "not a valid asset key"),
        ({"grace": timedelta(seconds=-1)}, "grace must be"),
    ],
)
def test_bad_schedules_are_refused_with_a_clear_error(
    kwargs: dict[str, object], message: str
) -> None:
    base: dict[str, object] = {"name": "nightly", "cron": "0 1 * * *", "targets": ("report",)}
    with pytest.raises(AssetDefinitionError, match=message):
        Schedule(**{**base, **kwargs})  # type: ignore[arg-type]


def test_a_fixed_time_fires_once_on_the_fall_back_night() -> None:
    item = Schedule("nightly", "30 1 * * *", ("report",), timezone="America/New_York")
    fires = _fires(item, datetime(2026, 10, 31, 12, tzinfo=UTC), 3)
    local = [f.astimezone(NY) for f in fires]
    assert [(d.day, d.hour, d.minute) for d in local] == [(1, 1, 30), (2, 1, 30), (3, 1, 30)]
    # The first 01:30 on 1 November is EDT (UTC-4); afterwards EST (UTC-5).
    assert fires == [
        datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 6, 30, tzinfo=UTC),
        datetime(2026, 11, 3, 6, 30, tzinfo=UTC),
    ]
    # Asked from inside the repeated hour, it does not fire a second time that night.
    assert item.next_fire(datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) == fires[1]


def test_a_time_in_the_skipped_hour_fires_at_the_first_valid_instant() -> None:
    item = Schedule("nightly", "30 2 * * *", ("report",), timezone="America/New_York")
    fires = _fires(item, datetime(2026, 3, 7, 12, tzinfo=UTC), 2)
    assert fires[0].astimezone(NY).replace(tzinfo=None) == datetime(2026, 3, 8, 3, 0)
    assert fires[1] == datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 02:30 EDT


def test_an_hourly_schedule_fires_every_real_hour_across_dst() -> None:
    item = Schedule("hourly", "0 * * * *", ("report",), timezone="America/New_York")
    fall = item.fires_between(
        datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 4, tzinfo=UTC)
    )
    spring = item.fires_between(
        datetime(2026, 3, 8, 5, tzinfo=UTC), datetime(2026, 3, 9, 3, tzinfo=UTC)
    )
    assert len(fall) == 25  # the 25-hour day
    assert len(spring) == 23  # the 23-hour day
    assert all(b - a == timedelta(hours=1) for a, b in itertools.pairwise(fall))


def test_fires_between_includes_the_first_and_is_capped() -> None:
    item = Schedule("hourly", "0 * * * *", ("report",))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert item.fires_between(start, start) == [start]
    assert item.fires_between(start, start + timedelta(minutes=59)) == [start]
    many = item.fires_between(start, start + timedelta(hours=500))
    assert len(many) == MAX_CATCH_UP + 1
    assert many[-1] == start + timedelta(hours=500)  # the newest are kept


def test_naive_datetimes_are_refused() -> None:
    item = Schedule("hourly", "0 * * * *", ("report",))
    with pytest.raises(ValueError, match="timezone-aware"):
        item.next_fire(datetime(2026, 1, 1))


def test_the_decorator_registers_and_the_partition_sees_local_time() -> None:
    @schedule("0 6 * * *", targets=["report"], timezone="Europe/Paris", catch_up="all")
    def morning(fire: datetime) -> date:
        """Yesterday's report."""
        return fire.date() - timedelta(days=1)

    assert morning in default_schedules().snapshot()
    assert (morning.name, morning.catch_up, morning.description) == (
        "morning",
        "all",
        "Yesterday's report.",
    )
    fire = morning.next_fire(datetime(2026, 7, 1, 12, tzinfo=UTC))
    assert fire == datetime(2026, 7, 2, 4, tzinfo=UTC)  # 06:00 CEST
    assert morning.partition_for(fire) == date(2026, 7, 1)
    assert Schedule("x", "0 6 * * *", ("report",)).partition_for(fire) is None
