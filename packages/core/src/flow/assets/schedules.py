"""Cron schedules: which assets to materialize when, in which time zone, and what to do on a miss.

A :class:`Schedule` is declared in code (``@schedule(...)`` on a partition
function, or ``Schedule(...)`` passed to :func:`register_schedule` or straight
to the :class:`~flow.assets.scheduler.Scheduler`). Its next fire time is
persisted in the metadata store, so a restarted scheduler knows what it missed.

Time zones: cron fields are read as wall-clock time in ``timezone`` (croniter
does the arithmetic). On a spring-forward night a fire inside the skipped hour
happens at the first valid instant after it (``30 2 * * *`` fires at 03:00).
On a fall-back night a fire with a fixed hour happens once (the first of the two
identical wall times); a schedule whose hour field is ``*`` fires every real hour.

Missed fires (the scheduler was down, or a run outlasted the next fire) are
handled by ``catch_up``: a fire is *missed* when it is more than ``grace`` old
when the scheduler gets to it.

* ``"latest"`` (default): run only the most recent due fire;
* ``"all"``: run every due fire, oldest first, at most :data:`MAX_CATCH_UP` (the newest ones);
* ``"skip"``: run only fires that are not missed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter  # type: ignore[import-untyped]

from ..errors import AssetDefinitionError
from ._named import NamedRegistry
from .keys import check_key, check_targets
from .partitions import PartitionKey

__all__ = [
    "CATCH_UP_POLICIES",
    "MAX_CATCH_UP",
    "CatchUp",
    "Schedule",
    "default_schedules",
    "register_schedule",
    "schedule",
]

CatchUp = Literal["latest", "all", "skip"]
CATCH_UP_POLICIES: tuple[CatchUp, ...] = ("latest", "all", "skip")
#: The most missed fires ``catch_up="all"`` runs (the newest ones); older ones are skipped.
MAX_CATCH_UP = 100
#: A fire is "missed" when the scheduler reaches it more than this late.
DEFAULT_GRACE = timedelta(seconds=60)

PartitionFn = Callable[[datetime], PartitionKey | None]


@dataclass(frozen=True, eq=False)
class Schedule:
    """Materialize ``targets`` (and their upstream) on a cron expression in a time zone.

    ``partition`` receives the fire time (aware, in ``timezone``) and returns
    the partition key to materialize, or None for unpartitioned assets.
    """

    name: str
    cron: str
    targets: tuple[str, ...]
    timezone: str = "UTC"
    partition: PartitionFn | None = None
    catch_up: CatchUp = "latest"
    grace: timedelta = DEFAULT_GRACE
    enabled: bool = True
    description: str | None = None
    _zone: ZoneInfo = field(init=False, repr=False)
    _fixed_hour: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        where = f"schedule {self.name!r}"
        check_key(self.name, "schedule name")
        object.__setattr__(self, "targets", check_targets(self.targets, where))
        object.__setattr__(self, "_zone", _zone(self.timezone, where))
        object.__setattr__(self, "_fixed_hour", _check_cron(self.cron, where))
        if self.catch_up not in CATCH_UP_POLICIES:
            raise AssetDefinitionError(
                f"{where}: catch_up={self.catch_up!r}; use one of {', '.join(CATCH_UP_POLICIES)}"
            )
        if self.partition is not None and not callable(self.partition):
            raise AssetDefinitionError(f"{where}: partition must be a function of the fire time")
        if not isinstance(self.grace, timedelta) or self.grace < timedelta(0):
            raise AssetDefinitionError(f"{where}: grace must be a non-negative timedelta")

    @property
    def zone(self) -> ZoneInfo:
        """The schedule's time zone."""
        return self._zone

    def next_fire(self, after: datetime) -> datetime:
        """The first fire strictly after ``after`` (aware), as an aware UTC datetime."""
        local = _aware(after, "after").astimezone(self._zone)
        it = croniter(self.cron, local)
        while True:
            fire: datetime = it.get_next(datetime)
            if not self._is_repeat(fire):
                return fire.astimezone(UTC)

    def fires_between(self, first: datetime, until: datetime) -> list[datetime]:
        """Fires from ``first`` (itself included when it is a fire) through ``until``, UTC.

        At most ``MAX_CATCH_UP + 1`` of them, the newest: the callers only need
        to know that there were more than the cap.
        """
        first, until = _aware(first, "first"), _aware(until, "until")
        fires: list[datetime] = []
        moment = self.next_fire(first - timedelta(microseconds=1))
        while moment <= until:
            fires.append(moment)
            if len(fires) > MAX_CATCH_UP + 1:
                del fires[0]
            moment = self.next_fire(moment)
        return fires

    def partition_for(self, fire: datetime) -> PartitionKey | None:
        """The partition key for a fire at ``fire`` (None without a partition function)."""
        if self.partition is None:
            return None
        return self.partition(_aware(fire, "fire").astimezone(self._zone))

    def _is_repeat(self, fire: datetime) -> bool:
        # The second pass through a fall-back hour (fold=1): a fixed-hour schedule
        # already fired at this wall time, so like cron it does not fire again.
        if not self._fixed_hour or not fire.fold:
            return False
        return fire.replace(fold=0).utcoffset() != fire.utcoffset()


def _zone(name: str, where: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise AssetDefinitionError(
            f"{where}: unknown time zone {name!r}; use an IANA name like 'UTC' or 'Europe/Paris'"
        ) from None


def _check_cron(expression: str, where: str) -> bool:
    """Validate ``expression``; True when its hour field is fixed (not ``*``)."""
    if not isinstance(expression, str) or not croniter.is_valid(expression):
        raise AssetDefinitionError(
            f"{where}: {expression!r} is not a valid cron expression; use five fields "
            "'minute hour day month weekday', e.g. '0 6 * * *' (06:00 daily)"
        )
    expanded = croniter(expression).expanded
    return bool(expanded[1] != ["*"])


def _aware(value: datetime, what: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime, got {value!r}")
    return value


class ScheduleRegistry(NamedRegistry["Schedule"]):
    """Schedules by name; ``@schedule`` adds to the default one. Thread-safe."""


_default = ScheduleRegistry()


def default_schedules() -> ScheduleRegistry:
    """The registry ``@schedule`` and :func:`register_schedule` add to (per process)."""
    return _default


def register_schedule(item: Schedule) -> Schedule:
    """Add ``item`` to the default registry (what ``flow scheduler`` runs); returns it."""
    if not isinstance(item, Schedule):
        raise AssetDefinitionError(f"register_schedule takes a Schedule, got {item!r}")
    return _default.add(item)


def schedule(
    cron: str,
    *,
    targets: Iterable[str],
    name: str | None = None,
    timezone: str = "UTC",
    catch_up: CatchUp = "latest",
    grace: timedelta = DEFAULT_GRACE,
    enabled: bool = True,
) -> Callable[[PartitionFn], Schedule]:
    """Decorate a partition function ``fn(fire_time) -> partition key`` as a registered schedule.

    The schedule's name is ``name`` or the function's name::

        @schedule("0 6 * * *", targets=["daily_report"], timezone="Europe/Paris")
        def daily(fire: datetime) -> date:
            return fire.date() - timedelta(days=1)

    For unpartitioned targets, register ``Schedule(...)`` with :func:`register_schedule`.
    """

    def decorate(partition: PartitionFn) -> Schedule:
        label = name if name is not None else getattr(partition, "__name__", None)
        made = Schedule(
            name=str(label),
            cron=cron,
            targets=tuple(targets),
            timezone=timezone,
            partition=partition,
            catch_up=catch_up,
            grace=grace,
            enabled=enabled,
            description=_doc(partition),
        )
        return register_schedule(made)

    return decorate


def _doc(fn: Any) -> str | None:
    doc = getattr(fn, "__doc__", None)
    return doc.strip() if isinstance(doc, str) else None
